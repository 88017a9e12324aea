package licensing

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"strings"
)

const aliasesFile = "license-aliases.json"

// licenseAliases is policies/data/license-aliases.json: the license
// identifiers vendors copy from model hubs that are not SPDX ids, each
// naming one license or a family of them.
type licenseAliases struct {
	Aliases  map[string]string `json:"aliases"`
	Families map[string]family `json:"families"`
	// Huggingface is the Hub's whole license table: identifier -> the
	// license it names, "family", "other" or "none" (see hub.go).
	Huggingface struct {
		Licenses map[string]string `json:"licenses"`
	} `json:"huggingface"`
}

// family is an identifier that names several licenses ("gpl"): it cannot
// be reviewed until the vendor says which one.
type family struct {
	Name    string   `json:"name"`
	Members []string `json:"members"`
}

func loadLicenseAliases(data fs.FS) (licenseAliases, error) {
	raw, err := fs.ReadFile(data, aliasesFile)
	if err != nil {
		return licenseAliases{}, fmt.Errorf("read license aliases: %w", err)
	}
	var a licenseAliases
	if err := json.Unmarshal(raw, &a); err != nil {
		return licenseAliases{}, fmt.Errorf("decode license aliases %s: %w", aliasesFile, err)
	}
	return a, nil
}

// family returns the family a written license names, if it names one: a
// model hub's family identifier, or a license page several licenses share.
func (a *Analyzer) family(written string) (family, bool) {
	if isURL(written) {
		_, shared := a.kb.urlIndex()
		ids, ok := shared[urlKey(written)]
		return family{Name: "a page that several SPDX licenses share", Members: ids}, ok
	}
	f, ok := a.families[aliasKey(written)]
	return f, ok
}

// familyFix tells the vendor to narrow a family down to one license.
func (f family) fix(written string) string {
	return fmt.Sprintf("%q names %s, not one license: write the one that applies, e.g. %s", written, f.Name, strings.Join(f.Members, ", "))
}
