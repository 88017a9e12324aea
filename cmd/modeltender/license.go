package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/modeltender/modeltender/internal/domain"
	"github.com/modeltender/modeltender/internal/evaluate"
	"github.com/modeltender/modeltender/internal/licensing"
)

const licenseUsage = "usage: modeltender license explain <SPDX expression | license name | URL | file> [--expected-monthly-users N] [--risk-tier standard|high-impact] [--use-cases ID,...] [--json]"

// runLicense runs `license explain`: the licenses a query resolves to, their
// clause facts with quotes, and the findings for the given use. An argument
// naming a readable file is taken as a license text and identified.
func runLicense(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "explain" {
		return errors.New(licenseUsage)
	}
	fs := flag.NewFlagSet("license explain", flag.ContinueOnError)
	fs.SetOutput(stderr)
	users := fs.Int64("expected-monthly-users", 1000, "expected monthly users of the agency's deployment")
	tier := fs.String("risk-tier", string(domain.RiskStandard), "standard or high-impact")
	uses := fs.String("use-cases", "", "comma-separated intended uses to weigh use restrictions against (ids of policies/data/use_cases.json, e.g. benefits-and-services)")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := fs.Parse(evaluate.ReorderFlags(args[1:])); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return errors.New(licenseUsage)
	}
	query, text := strings.Join(fs.Args(), " "), ""
	if info, err := os.Stat(query); err == nil && !info.IsDir() {
		raw, err := os.ReadFile(query)
		if err != nil {
			return fmt.Errorf("read license text %s: %w", query, err)
		}
		text = string(raw)
	}
	analyzer, err := licensing.NewAnalyzer()
	if err != nil {
		return err
	}
	criteria := domain.Criteria{RiskTier: domain.RiskTier(*tier), ExpectedMonthlyUsers: *users}
	if *uses != "" {
		for _, u := range strings.Split(*uses, ",") {
			criteria.UseCases = append(criteria.UseCases, strings.TrimSpace(u))
		}
		if problems := analyzer.CheckUseCases(criteria.UseCases); len(problems) > 0 {
			return fmt.Errorf("--use-cases: %s", strings.Join(problems, "; "))
		}
	}
	x := analyzer.Explain(query, text, criteria)
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(x)
	}
	printExplanation(stdout, x)
	return nil
}

func printExplanation(w io.Writer, x licensing.Explanation) {
	if x.Expression != "" {
		fmt.Fprintf(w, "%s resolves to %s\n", x.Query, x.Expression)
	}
	if x.Text != nil {
		fmt.Fprintf(w, "license text %s: exact match %v, similarity %.2f", x.Text.Hash, x.Text.Exact, x.Text.Similarity)
		if x.Text.Version != "" {
			fmt.Fprintf(w, ", of the %s version", x.Text.Version)
		}
		fmt.Fprintln(w)
	}
	for _, l := range x.Licenses {
		fmt.Fprintf(w, "\n%s — %s\n  OSI-approved: %v; FSF-libre: %v; commercial use: %s", l.ID, l.Name, l.OSIApproved, l.FSFLibre, l.CommercialUse)
		if l.MAUCap != nil {
			fmt.Fprintf(w, "; user cap: %d monthly active users", *l.MAUCap)
		}
		fmt.Fprintf(w, "\n  acceptable use policy: %v (by reference: %v); termination on litigation: %v\n",
			l.AcceptableUsePolicy, l.AUPByReference, l.TerminationOnLitigation)
		if l.NamingRequirement != nil {
			fmt.Fprintf(w, "  naming: %s\n", *l.NamingRequirement)
		}
		for _, r := range l.FieldOfUseRestrictions {
			fmt.Fprintf(w, "  field of use: %s\n", r)
		}
		if l.Unverified != "" {
			fmt.Fprintf(w, "  UNVERIFIED: %s\n", l.Unverified)
		}
		for _, q := range l.Quotes {
			fmt.Fprintf(w, "  [%s] %q (%s)\n", q.Clause, q.Text, q.File)
		}
		for _, r := range l.UseRestrictions {
			kind := "forbids some uses of"
			if r.Absolute {
				kind = "forbids every use of"
			}
			uses := strings.Join(r.Uses, ", ")
			if len(r.Except) > 0 {
				uses += " except " + strings.Join(r.Except, ", ")
			}
			fmt.Fprintf(w, "  [use_restrictions] %s %s: %s — %q (%s)\n", kind, uses, r.Restriction, r.Quote, r.File)
		}
	}
	fmt.Fprintln(w, "\nfindings:")
	for _, f := range x.Findings {
		fmt.Fprintf(w, "  %-4s %s: %s\n", f.Severity, f.Rule, f.Message)
		if f.Fix != "" {
			fmt.Fprintf(w, "       fix: %s\n", f.Fix)
		}
	}
}
