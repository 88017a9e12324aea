package licensing

import (
	"strings"
	"testing"

	"github.com/modeltender/modeltender/internal/domain"
)

// Model-hub license identifiers read as the license they name; one naming a
// family asks the vendor which member it means, never passes.
func TestHubIdentifiers(t *testing.T) {
	a := newAnalyzer(t)
	for written, want := range map[string]string{"odbl": "ODbL-1.0", "odc-by": "ODC-By-1.0", "pddl": "PDDL-1.0", "c-uda": "C-UDA-1.0",
		// "++" is part of the name: RAIL++-M is not RAIL-M, openrail++ not the family.
		"openrail++": "LicenseRef-CreativeML-OpenRAIL-PlusPlus-M", "CreativeML Open RAIL++-M": "LicenseRef-CreativeML-OpenRAIL-PlusPlus-M",
		"CreativeML Open RAIL-M": "LicenseRef-CreativeML-OpenRAIL-M", "openrail": "",
		"bigcode-openrail-m": "LicenseRef-BigCode-OpenRAIL-M-v1", "deepfloyd-if-license": "LicenseRef-DeepFloyd-IF-Research"} {
		if got := a.resolve(written); got != want {
			t.Errorf("%s resolves to %q, want %s", written, got, want)
		}
	}
	m := domain.Manifest{Weights: domain.Weights{License: "Apache-2.0"},
		Components: []domain.Component{{Name: "Datasets", License: "odbl", Included: true}, {Name: "Training code", License: "gpl", Included: true}}}
	r := a.Review(m, domain.Criteria{ExpectedMonthlyUsers: 1000})
	var gpl, odbl []string
	for _, f := range r.Findings {
		switch f.Evidence.Component {
		case "Training code":
			gpl = append(gpl, string(f.Severity)+" "+f.Message+" "+f.Fix)
		case "Datasets":
			odbl = append(odbl, string(f.Severity)+" "+f.Rule)
		}
	}
	all := strings.Join(gpl, "\n")
	if !strings.Contains(all, `"gpl" names the GNU General Public License family, not one license: write the one that applies, e.g. GPL-2.0-only`) ||
		!strings.HasPrefix(all, "warn") || !r.NeedsResolution {
		t.Errorf("gpl findings:\n%s", all)
	}
	if strings.Join(odbl, " ") == "" || strings.Contains(strings.Join(odbl, " "), "license.unknown") {
		t.Errorf("odbl findings %v: want ODbL-1.0 reviewed as an open-data license", odbl)
	}
}

// A license page resolves to the license that publishes it; a page several
// licenses share (the GPL text, for -only and -or-later) asks which one.
func TestLicensePages(t *testing.T) {
	a := newAnalyzer(t)
	for page, want := range map[string]string{
		"https://opensource.org/licenses/BSD-3-Clause":         "BSD-3-Clause", // the OSI's old address
		"https://opensource.org/license/bsd-3-clause/":         "BSD-3-Clause",
		"https://spdx.org/licenses/MIT.html":                   "MIT",
		"https://www.gnu.org/licenses/gpl-3.0-standalone.html": "",
	} {
		if got := a.resolve(page); got != want {
			t.Errorf("%s resolves to %q, want %q", page, got, want)
		}
	}
	x := a.Explain("https://www.gnu.org/licenses/gpl-3.0-standalone.html", "", domain.Criteria{})
	if len(x.Findings) != 1 || !strings.Contains(x.Findings[0].Message, "several SPDX licenses share") ||
		!strings.Contains(x.Findings[0].Message, "GPL-3.0-only") || !strings.Contains(x.Findings[0].Message, "GPL-3.0-or-later") {
		t.Errorf("shared GPL page: %+v", x.Findings)
	}
}
