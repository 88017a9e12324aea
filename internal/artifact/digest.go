package artifact

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"unicode/utf8"

	"golang.org/x/crypto/blake2b"
	"lukechampine.com/blake3"
)

// defaultIgnores are left out of every model at its root, as OMS requires.
var defaultIgnores = []string{".git", ".gitattributes", ".github", ".gitignore"}

const readBuffer = 1 << 20

var buffers = sync.Pool{New: func() any { b := make([]byte, readBuffer); return &b }}

// DigestDir returns the SHA-256 (lowercase hex) of every regular file under
// dir, keyed by its slash path relative to dir: the digest list a vendor
// declares and an OMS "files" manifest signs. Paths in ignore (relative to
// dir) and the OMS defaults (.git, .gitattributes, .github, .gitignore at the
// root) are left out with everything under them. Hidden files are included,
// as model_signing includes them. Symbolic links and special files are an
// error, as model_signing refuses them by default. A single file digests as
// its base name. Files are streamed, a few at a time, in bounded memory.
func DigestDir(ctx context.Context, dir string, ignore []string) (map[string]string, error) {
	ig, err := newIgnoreSet(ignore, nil)
	if err != nil {
		return nil, err
	}
	files, bad, err := listFiles(ctx, dir, ig, false)
	if err != nil {
		return nil, err
	}
	if len(bad) > 0 {
		var lines []string
		for _, p := range bad {
			lines = append(lines, p.Path+": "+p.Reason)
		}
		return nil, fmt.Errorf("%s: %s; replace links with the files they point to, or ignore them", dir, strings.Join(lines, "; "))
	}
	return hashFiles(ctx, files, "sha256", 0)
}

// modelFile is a regular file of a model, found by listFiles.
type modelFile struct {
	rel  string // slash path relative to the model root
	abs  string
	size int64
}

// ignoreSet matches slash paths relative to the model root: an entry
// matches itself and everything under it.
type ignoreSet map[string]bool

// newIgnoreSet builds the set from user paths (refused if they leave the
// root), the defaults (dropped when the manifest signs a path under one,
// i.e. the signer chose to include git files) and signed ignore paths
// (skipped if they leave the root, as model_signing skips them).
func newIgnoreSet(user []string, m *manifest) (ignoreSet, error) {
	ig := ignoreSet{}
	for _, p := range user {
		c, err := cleanRelative(p)
		if err != nil {
			return nil, fmt.Errorf("ignore path %q: %w", p, err)
		}
		ig[c] = true
	}
	for _, d := range defaultIgnores {
		if m == nil || !m.signsUnder(d) {
			ig[d] = true
		}
	}
	if m != nil {
		for _, p := range m.ser.IgnorePaths {
			if c, err := cleanRelative(p); err == nil {
				ig[c] = true
			}
		}
	}
	return ig, nil
}

// cleanRelative canonicalizes a path relative to the model root.
func cleanRelative(p string) (string, error) {
	p = filepath.ToSlash(p)
	c := path.Clean(p)
	if !validName(p) || strings.HasPrefix(p, "/") || c == ".." || strings.HasPrefix(c, "../") {
		return "", errors.New("not a path inside the model directory (give it relative to the model root)")
	}
	if c == "." {
		return "", errors.New("ignoring the model root leaves nothing to check")
	}
	return c, nil
}

func (ig ignoreSet) match(rel string) bool {
	for p := rel; ; {
		if ig[p] {
			return true
		}
		i := strings.LastIndexByte(p, '/')
		if i < 0 {
			return false
		}
		p = p[:i]
	}
}

// signsUnder reports whether m lists a resource at or under dir.
func (m *manifest) signsUnder(dir string) bool {
	for name := range m.digests {
		if name == dir || strings.HasPrefix(name, dir+"/") || strings.HasPrefix(name, dir+":") {
			return true
		}
	}
	return false
}

// listFiles enumerates the regular files of the model at root (a directory
// or one file) as model_signing does: hidden files included, ignored paths
// skipped with their subtrees, symbolic links to files followed only when
// allowed (and only inside the model), links to directories never entered.
// What cannot be hashed safely is returned as problems, not opened.
func listFiles(ctx context.Context, root string, ig ignoreSet, allowSymlinks bool) ([]modelFile, []PathProblem, error) {
	info, err := os.Stat(root)
	if err != nil {
		return nil, nil, fmt.Errorf("model: %w", err)
	}
	if info.Mode().IsRegular() {
		return []modelFile{{rel: filepath.Base(root), abs: root, size: info.Size()}}, nil, nil
	}
	if !info.IsDir() {
		return nil, nil, fmt.Errorf("model %s is neither a directory nor a regular file", root)
	}
	realRoot, err := filepath.EvalSymlinks(root)
	if err != nil {
		return nil, nil, fmt.Errorf("model: %w", err)
	}
	var files []modelFile
	var bad []PathProblem
	// Walk the resolved root: WalkDir does not enter a root that is a link.
	err = filepath.WalkDir(realRoot, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if p == realRoot {
			return nil
		}
		relOS, err := filepath.Rel(realRoot, p)
		if err != nil {
			return err
		}
		rel := filepath.ToSlash(relOS)
		if ig.match(rel) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if !utf8.ValidString(rel) {
			bad = append(bad, PathProblem{Path: strings.ToValidUTF8(rel, "\uFFFD"), Reason: "name is not UTF-8"})
			return nil
		}
		mode := d.Type()
		switch {
		case mode.IsDir():
			return nil
		case mode&fs.ModeSymlink != 0:
			if !allowSymlinks {
				bad = append(bad, PathProblem{Path: rel, Reason: "symbolic link, which the signature does not allow"})
				return nil
			}
			target, err := os.Stat(p)
			if err != nil {
				bad = append(bad, PathProblem{Path: rel, Reason: "broken symbolic link"})
				return nil
			}
			if target.IsDir() {
				return nil // model_signing does not descend into linked directories
			}
			real, err := filepath.EvalSymlinks(p)
			if err != nil || !within(realRoot, real) {
				bad = append(bad, PathProblem{Path: rel, Reason: "symbolic link to outside the model directory"})
				return nil
			}
			if !target.Mode().IsRegular() {
				bad = append(bad, PathProblem{Path: rel, Reason: "symbolic link to a special file"})
				return nil
			}
			files = append(files, modelFile{rel: rel, abs: p, size: target.Size()})
		case mode.IsRegular():
			info, err := d.Info()
			if err != nil {
				return err
			}
			files = append(files, modelFile{rel: rel, abs: p, size: info.Size()})
		default:
			bad = append(bad, PathProblem{Path: rel, Reason: "not a regular file (" + mode.String() + ")"})
		}
		if len(files)+len(bad) > MaxResources {
			return fmt.Errorf("model %s holds more than %d files", root, MaxResources)
		}
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("list model files: %w", err)
	}
	return files, bad, nil
}

func within(root, p string) bool {
	rel, err := filepath.Rel(root, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

func newHash(name string) hash.Hash {
	switch name {
	case "blake2b":
		h, _ := blake2b.New512(nil) // only a key longer than 64 bytes fails
		return h
	case "blake3":
		return blake3.New(32, nil)
	}
	return sha256.New()
}

// hashFiles digests files with hashType on a few workers, each streaming
// through one pooled buffer. With shardSize > 0 each file yields one digest
// per shard, keyed "path:start:end" as OMS shard manifests name them (an
// empty file yields none).
func hashFiles(ctx context.Context, files []modelFile, hashType string, shardSize int64) (map[string]string, error) {
	if shardSize > 0 {
		var shards int64
		for _, f := range files {
			shards += (f.size + shardSize - 1) / shardSize
			if shards > MaxResources {
				return nil, fmt.Errorf("shard_size %d splits the model into more than %d shards", shardSize, MaxResources)
			}
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	out := make(map[string]string, len(files))
	var mu sync.Mutex
	var firstErr error
	jobs := make(chan modelFile)
	workers := min(runtime.GOMAXPROCS(0), 4, max(len(files), 1))
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			buf := buffers.Get().(*[]byte)
			defer buffers.Put(buf)
			for f := range jobs {
				digests, err := hashFile(ctx, f, hashType, shardSize, *buf)
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = err
					cancel()
				}
				for k, v := range digests {
					out[k] = v
				}
				mu.Unlock()
			}
		})
	}
feed:
	for _, f := range files {
		select {
		case jobs <- f:
		case <-ctx.Done():
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// hashFile digests one file, whole or by shards.
func hashFile(ctx context.Context, f modelFile, hashType string, shardSize int64, buf []byte) (map[string]string, error) {
	fh, err := os.Open(f.abs)
	if err != nil {
		return nil, fmt.Errorf("hash %s: %w", f.rel, err)
	}
	defer fh.Close()
	r := &ctxReader{ctx: ctx, r: fh}
	out := map[string]string{}
	if shardSize <= 0 {
		h := newHash(hashType)
		if _, err := io.CopyBuffer(h, r, buf); err != nil {
			return nil, fmt.Errorf("hash %s: %w", f.rel, err)
		}
		out[f.rel] = hex.EncodeToString(h.Sum(nil))
		return out, nil
	}
	for start := int64(0); ; start += shardSize {
		h := newHash(hashType)
		n, err := io.CopyBuffer(h, io.LimitReader(r, shardSize), buf)
		if err != nil {
			return nil, fmt.Errorf("hash %s: %w", f.rel, err)
		}
		if n == 0 {
			return out, nil
		}
		out[fmt.Sprintf("%s:%d:%d", f.rel, start, start+n)] = hex.EncodeToString(h.Sum(nil))
		if n < shardSize {
			return out, nil
		}
	}
}

// ctxReader stops a long read when its context ends.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
