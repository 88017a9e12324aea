package policies

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"

	"github.com/modeltender/modeltender/internal/domain"
)

// decideWithOPAConversions is decide with OPA's own conversions: the input
// document handed to rego as a Go value, and the result as OPA returns it
// (map[string]any) marshalled for the strict decoder.
func (e *Engine) decideWithOPAConversions(ctx context.Context, in Input, parse bool) (Decision, error) {
	doc := struct {
		Criteria             domain.Criteria   `json:"criteria"`
		Manifest             domain.Manifest   `json:"manifest"`
		LicenseFindings      []domain.Finding  `json:"license_findings"`
		LicenseNormalization map[string]string `json:"license_normalization"`
		AsOf                 string            `json:"as_of"`
	}{in.Criteria, in.Manifest, in.LicenseFindings, map[string]string{}, in.AsOf.Format(time.DateOnly)}
	if doc.LicenseFindings == nil {
		doc.LicenseFindings = []domain.Finding{}
	}
	var opt rego.EvalOption
	if parse {
		raw, err := json.Marshal(doc)
		if err != nil {
			return Decision{}, err
		}
		v, err := ast.ValueFromReader(bytes.NewReader(raw))
		if err != nil {
			return Decision{}, err
		}
		opt = rego.EvalParsedInput(v)
	} else {
		opt = rego.EvalInput(doc)
	}
	rs, err := e.decision.Eval(ctx, opt)
	if err != nil {
		return Decision{}, err
	}
	raw, err := json.Marshal(rs[0].Expressions[0].Value)
	if err != nil {
		return Decision{}, err
	}
	v, err := ast.ValueFromReader(bytes.NewReader(raw))
	if err != nil {
		return Decision{}, err
	}
	return decodeDecision(v)
}

func BenchmarkDecideCodec(b *testing.B) {
	e := newEngine(b)
	in := completeInput()
	in.Criteria.RiskTier = domain.RiskHighImpact
	ctx := context.Background()
	want, err := e.Decide(ctx, in)
	if err != nil {
		b.Fatal(err)
	}
	for _, parse := range []bool{true, false} {
		got, err := e.decideWithOPAConversions(ctx, in, parse)
		got.Revision = want.Revision
		if err != nil || !equalJSON(got, want) {
			b.Fatalf("OPA conversions decide %+v, %v; want %+v", got, err, want)
		}
	}
	b.Run("custom", func(b *testing.B) {
		loopWithCPU(b, func() error { _, err := e.Decide(ctx, in); return err })
	})
	b.Run("opa-ValueFromReader", func(b *testing.B) {
		loopWithCPU(b, func() error { _, err := e.decideWithOPAConversions(ctx, in, true); return err })
	})
	b.Run("opa-EvalInput", func(b *testing.B) {
		loopWithCPU(b, func() error { _, err := e.decideWithOPAConversions(ctx, in, false); return err })
	})
}

func equalJSON(a, b Decision) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return bytes.Equal(x, y)
}

// BenchmarkCodecAlone times the conversions on their own: the input document
// to an OPA value, and the decision's OPA value back to JSON.
func BenchmarkCodecAlone(b *testing.B) {
	e := newEngine(b)
	in := completeInput()
	in.Criteria.RiskTier = domain.RiskHighImpact
	ctx := context.Background()
	value, err := regoInput(in)
	if err != nil {
		b.Fatal(err)
	}
	rs, err := e.decision.Eval(ctx, rego.EvalParsedInput(value), rego.EvalGenerateJSON(keepValue))
	if err != nil {
		b.Fatal(err)
	}
	result := rs[0].Expressions[0].Value.(ast.Value)
	doc := struct {
		Criteria             domain.Criteria   `json:"criteria"`
		Manifest             domain.Manifest   `json:"manifest"`
		LicenseFindings      []domain.Finding  `json:"license_findings"`
		LicenseNormalization map[string]string `json:"license_normalization"`
		AsOf                 string            `json:"as_of"`
	}{in.Criteria, in.Manifest, []domain.Finding{}, map[string]string{}, in.AsOf.Format(time.DateOnly)}
	b.Run("input-custom", func(b *testing.B) {
		loopWithCPU(b, func() error { _, err := regoInput(in); return err })
	})
	b.Run("input-opa", func(b *testing.B) {
		loopWithCPU(b, func() error {
			raw, err := json.Marshal(doc)
			if err != nil {
				return err
			}
			_, err = ast.ValueFromReader(bytes.NewReader(raw))
			return err
		})
	})
	b.Run("output-custom", func(b *testing.B) {
		loopWithCPU(b, func() error { _, err := appendJSON(nil, result); return err })
	})
	b.Run("output-opa", func(b *testing.B) {
		// What rego returns without EvalGenerateJSON, then marshalled.
		loopWithCPU(b, func() error {
			v, err := ast.JSON(result)
			if err != nil {
				return err
			}
			_, err = json.Marshal(v)
			return err
		})
	})
}
