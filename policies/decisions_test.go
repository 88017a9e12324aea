package policies

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	"github.com/modeltender/modeltender/internal/domain"
)

// Each input the policies read changes the decision; a cache keyed on less
// than all of them would answer one of these with another's decision.
func TestRememberedDecisionsFollowEveryInput(t *testing.T) {
	base := completeInput()
	base.Manifest.Components = append(base.Manifest.Components, domain.Component{Name: "Model architecture", License: "Apache 2.0", Included: true})
	variants := map[string]func(*Input){
		"as of two years later": func(in *Input) { in.AsOf = in.AsOf.AddDate(2, 0, 0) },
		"high-impact tier":      func(in *Input) { in.Criteria.RiskTier = domain.RiskHighImpact },
		"minimum class":         func(in *Input) { in.Criteria.MinimumOpennessClass = "I" },
		"preference points": func(in *Input) {
			in.Criteria.MinimumOpennessClass = "III"
			in.Criteria.OpennessPreferencePoints = &domain.PreferencePoints{ClassI: 1, ClassII: 2, ClassIII: 3}
		},
		"license finding": func(in *Input) {
			in.LicenseFindings = []domain.Finding{{Rule: "license.use-restricted", Severity: domain.SeverityDeny, Message: "restricted", Source: "license"}}
		},
		"license normalization": func(in *Input) { in.LicenseNormalization = map[string]string{"Apache 2.0": "Apache-2.0"} },
		"manifest":              func(in *Input) { in.Manifest.DataUse.TrainsOnAgencyData = ptr(true) },
	}
	cached, fresh := newEngine(t), newEngine(t)
	if cached.decisions == nil {
		t.Fatal("the embedded policies are deterministic, yet the engine remembers no decisions")
	}
	fresh.decisions = nil
	want := decide(t, fresh, base)
	for range 2 { // the second round answers from the cache
		if got := decide(t, cached, base); !reflect.DeepEqual(got, want) {
			t.Fatalf("base: %+v, want %+v", got, want)
		}
		for name, vary := range variants {
			in := base
			in.Manifest.DataUse.TrainsOnAgencyData = ptr(false)
			vary(&in)
			wantVariant := decide(t, fresh, in)
			if reflect.DeepEqual(wantVariant, want) {
				t.Fatalf("%s: decides as the base input, so it tests nothing", name)
			}
			if got := decide(t, cached, in); !reflect.DeepEqual(got, wantVariant) {
				t.Errorf("%s: remembered engine decides\n%+v\nwant\n%+v", name, got, wantVariant)
			}
		}
	}
	if n := cached.decisions.recent.Len(); n != len(variants)+1 {
		t.Errorf("remembers %d decisions of %d distinct inputs", n, len(variants)+1)
	}

	// A caller changing its decision does not change the next one.
	d := decide(t, cached, base)
	d.Info[0].Message = "changed"
	d.Openness.Progress["I"] = -1
	if again := decide(t, cached, base); !reflect.DeepEqual(again, want) {
		t.Errorf("after a caller changed its copy: %+v", again)
	}
}

func TestDecisionCacheForgetsLeastRecentlyUsed(t *testing.T) {
	c := newDecisionCache()
	key := func(i int) (k [32]byte) { k[0], k[1] = byte(i), byte(i>>8); return k }
	for i := range decisionCacheSize {
		c.add(key(i), []byte{byte(i)})
	}
	c.get(key(0)) // used: the least recent is now 1
	c.add(key(decisionCacheSize), nil)
	if _, ok := c.get(key(1)); ok {
		t.Error("the least recently used decision is still remembered")
	}
	if r, ok := c.get(key(0)); !ok || !slices.Equal(r, []byte{0}) {
		t.Error("a recently used decision was forgotten")
	}
}

func TestNondeterministicPoliciesAreNotRemembered(t *testing.T) {
	dir := copyBundle(t)
	clock := "package modeltender.clock\n\nnow := time.now_ns()\n"
	if err := os.WriteFile(filepath.Join(dir, "clock.rego"), []byte(clock), 0o644); err != nil {
		t.Fatal(err)
	}
	e, err := NewEngine(context.Background(), Dir(dir))
	if err != nil {
		t.Fatal(err)
	}
	if e.decisions != nil {
		t.Error("an engine whose policies read the clock remembers decisions")
	}
	if d := decide(t, e, completeInput()); d.Outcome != domain.OutcomeQualified {
		t.Errorf("outcome %s, want the complete candidate qualified", d.Outcome)
	}
}
