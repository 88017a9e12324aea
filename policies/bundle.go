package policies

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing/fstest"

	"github.com/open-policy-agent/opa/v1/ast"
	opabundle "github.com/open-policy-agent/opa/v1/bundle"
	"github.com/open-policy-agent/opa/v1/storage"
	"github.com/open-policy-agent/opa/v1/storage/inmem"
)

// Bundle is one revision of the rules: every file the engine, the license
// analyzer and intake read, by path (the policies *.rego, data/*.json, the
// license texts data/licenses/*.txt and the MOF schema
// data/mot/mof_schema.json), and the revision those files hash to. A solicitation
// freezes a revision at publication; the files, stored under it, rebuild the
// same engine and analyzer later (OpenBundle, FromBundle). Read-only once
// made, and safe for concurrent use.
type Bundle struct {
	files    map[string][]byte
	revision string
	// fsys serves files; fstest.MapFS is the standard library's in-memory
	// fs.FS, used read-only.
	fsys fstest.MapFS
}

// isBundleFile reports whether the file at p (slash-separated, relative to
// the bundle's root) is part of the rules: what the embed directive of
// bundle lists, without the Rego tests, which decide nothing. Files read
// by no one (the Model Openness Tool's source files under data/mot/,
// documentation) are left out, so changing them keeps the revision.
func isBundleFile(p string) bool {
	switch dir, ext := path.Dir(p), path.Ext(p); {
	case ext == ".rego":
		return !strings.HasSuffix(p, "_test.rego")
	case dir == "data":
		return ext == ".json"
	case dir == "data/licenses":
		return ext == ".txt"
	}
	return p == "data/mot/mof_schema.json"
}

func newBundle(files map[string][]byte) *Bundle {
	fsys := make(fstest.MapFS, len(files))
	for p, content := range files {
		fsys[p] = &fstest.MapFile{Data: content, Mode: 0o444}
	}
	return &Bundle{files: files, revision: revision(files), fsys: fsys}
}

// embeddedBundle is the bundle built into the binary, read once.
var embeddedBundle = sync.OnceValues(func() (*Bundle, error) {
	files, err := readFiles(bundle, isBundleFile)
	if err != nil {
		return nil, err
	}
	return newBundle(files), nil
})

// LoadBundle reads the bundle the options name: the embedded one, a policy
// directory (Dir: its Rego, and its data/ over the embedded data file by
// file, as Data reads it), or a bundle already loaded (FromBundle).
func LoadBundle(opts ...Option) (*Bundle, error) {
	o := newOptions(opts)
	switch {
	case o.bundle != nil:
		return o.bundle, nil
	case o.own == nil:
		return embeddedBundle()
	}
	return loadOwn(o.own)
}

// loadOwn reads a policy directory laid out as this package: its policies,
// and every data file of the directory or else of the embedded bundle.
func loadOwn(own fs.FS) (*Bundle, error) {
	files, err := readFiles(own, isBundleFile)
	if err != nil {
		return nil, err
	}
	embedded, err := embeddedBundle()
	if err != nil {
		return nil, err
	}
	for p, content := range embedded.files {
		if _, ok := files[p]; !ok && strings.HasPrefix(p, "data/") {
			files[p] = content
		}
	}
	return newBundle(files), nil
}

// OpenBundle makes the bundle of files, as Files returned them, and checks
// that they hash to revision: rules stored under a revision must be the
// rules that revision names.
func OpenBundle(revision string, files map[string][]byte) (*Bundle, error) {
	for p := range files {
		if !isBundleFile(p) || !fs.ValidPath(p) {
			return nil, fmt.Errorf("policy bundle %s holds %q, which is not a policy (*.rego) or a data file (data/*.json, data/licenses/*.txt, data/mot/mof_schema.json)", revision, p)
		}
	}
	b := newBundle(maps.Clone(files))
	if b.revision != revision {
		return nil, fmt.Errorf("policy bundle stored as %s hashes to %s: its files were changed after it was stored, so it cannot stand for that revision", revision, b.revision)
	}
	return b, nil
}

// Revision identifies the bundle: "sha256:<hex>" over the path and content
// of every file. Two bundles with the same files have the same revision.
func (b *Bundle) Revision() string { return b.revision }

// Files returns the bundle's files by path, to store under its revision.
// The contents are the bundle's own: do not modify them.
func (b *Bundle) Files() map[string][]byte { return maps.Clone(b.files) }

// FS serves the bundle's files, laid out as this package.
func (b *Bundle) FS() fs.FS { return b.fsys }

// revision hashes each file's path and length before its content, in path
// order, so moving bytes from one file to the next changes the hash.
func revision(files map[string][]byte) string {
	h := sha256.New()
	for _, p := range slices.Sorted(maps.Keys(files)) {
		fmt.Fprintf(h, "%s\x00%d\x00", p, len(files[p]))
		h.Write(files[p])
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

// readFiles returns the files of fsys that want accepts, by path.
func readFiles(fsys fs.FS, want func(string) bool) (map[string][]byte, error) {
	files := map[string][]byte{}
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || !want(p) {
			return nil
		}
		content, err := fs.ReadFile(fsys, p)
		if err != nil {
			return fmt.Errorf("read %s: %w", p, err)
		}
		files[p] = content
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list policy bundle: %w", err)
	}
	return files, nil
}

// compileInput reads the policies (and tests, for Test) with OPA's bundle
// reader, laid out as opaLayout places them.
func compileInput(b *Bundle, tests map[string][]byte) (map[string]*ast.Module, storage.Store, error) {
	layout := opaLayout(b)
	for p, content := range tests {
		layout[p] = &fstest.MapFile{Data: content}
	}
	loader, err := opabundle.NewFSLoader(layout)
	if err != nil {
		return nil, nil, fmt.Errorf("read policy bundle %s: %w", b.revision, err)
	}
	ob, err := opabundle.NewCustomReader(loader).
		WithRegoVersion(ast.RegoV1).
		WithProcessAnnotations(true).
		// Nothing is signed: the revision is the bundle's content hash.
		WithSkipBundleVerification(true).
		Read()
	if err != nil {
		return nil, nil, fmt.Errorf("read policy bundle %s: %w", b.revision, err)
	}
	data := ob.Data
	if data == nil {
		data = map[string]any{}
	}
	return ob.ParsedModules(""), inmem.NewFromObjectWithOpts(data, inmem.OptReturnASTValuesOnRead(true)), nil
}

// WriteOPABundle writes b's policies and data into dir in OPA's bundle
// layout, so that OPA's own tools decide as the engine does:
// `opa eval -b DIR -I data.modeltender.evaluation.decision` with the input
// document of `modeltender evaluate --policy-input` on stdin.
func (b *Bundle) WriteOPABundle(dir string) error {
	for p, f := range opaLayout(b) {
		target := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(target, f.Data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// opaLayout places b's policies and data as OPA's bundle format expects
// them, so that each data/<name>.json is mounted at data.modeltender.<name>
// (hyphens become underscores): at modeltender/<name>/data.json. The other
// data files are not policy data.
func opaLayout(b *Bundle) fstest.MapFS {
	layout := fstest.MapFS{}
	for p, content := range b.files {
		switch {
		case path.Ext(p) == ".rego":
			layout[p] = &fstest.MapFile{Data: content}
		case path.Dir(p) == "data" && path.Ext(p) == ".json":
			name := strings.ReplaceAll(strings.TrimSuffix(path.Base(p), ".json"), "-", "_")
			layout["modeltender/"+name+"/data.json"] = &fstest.MapFile{Data: content}
		}
	}
	return layout
}
