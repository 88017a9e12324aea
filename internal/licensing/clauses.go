package licensing

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/modeltender/modeltender/internal/domain"
)

// Rule ids of the clause findings, one per clause fact of the knowledge base.
const (
	RuleUnknownLicense  = "license.unknown"
	RuleUnverified      = "license.unverified-facts"
	RuleCommercialUse   = "license.commercial-use"
	RuleUserCap         = "license.user-cap"
	RuleAcceptableUse   = "license.acceptable-use"
	RuleFieldOfUse      = "license.field-of-use"
	RuleUseRestricted   = "license.use-restricted"
	RuleNaming          = "license.naming"
	RuleLitigation      = "license.termination-on-litigation"
	RuleDerivatives     = "license.derivative-restrictions"
	RuleGovernmentUse   = "license.government-use"
	RuleModifiedText    = "license.modified-text"
	RuleEarlierVersion  = "license.earlier-version"
	RuleTextMismatch    = "license.text-mismatch"
	RuleUnrecognisedTxt = "license.unrecognised-text"
	RuleTextTooLong     = "license.text-too-long"
)

// clauseFinding is a finding about one clause of one license, with the
// clause a human resolution of it is remembered by.
type clauseFinding struct {
	clause  string
	finding domain.Finding
}

// clauseFindings weighs each clause fact of e against the solicitation, as
// counsel would for the agency: what disqualifies (deny), what a reviewer
// must judge against the intended use (warn), and what the record should
// show (info).
func clauseFindings(component string, e *Entry, c domain.Criteria) []clauseFinding {
	var out []clauseFinding
	add := func(clause string, sev domain.Severity, rule, message, fix string) {
		out = append(out, clauseFinding{clause: clause, finding: domain.Finding{
			Rule: rule, Severity: sev, Message: component + ": " + message,
			Evidence: domain.Evidence{Component: component, Clause: e.ID + " " + clause, Quote: e.quote(clause)},
			Source:   e.citation(clause),
			Fix:      fix,
		}})
	}
	if e.Unverified != "" {
		add(ClauseLicense, domain.SeverityWarn, RuleUnverified,
			fmt.Sprintf("modeltender's facts about %s are not verified against a license text: %s", e.Name, e.Unverified),
			fmt.Sprintf("Vendor: attach the license text (license_text in the manifest). Reviewer: read it and decide in the license resolution task whether it permits the intended use (%s).", useTerms(c)))
	}
	switch {
	case e.CommercialUse == commercialForbidden:
		add(ClauseCommercialUse, domain.SeverityDeny, RuleCommercialUse,
			fmt.Sprintf("%s does not permit commercial or production use, so the agency cannot deploy the model under it", e.Name),
			fmt.Sprintf("Vendor: offer the model under a license that permits production use, or supply a commercial license from %s.", e.licensor()))
	case e.MAUCap != nil && c.ExpectedMonthlyUsers > *e.MAUCap:
		add(ClauseMAUCap, domain.SeverityWarn, RuleUserCap,
			fmt.Sprintf("%s requires a separate license from %s for services with more than %s monthly active users, and the solicitation expects %s",
				e.Name, e.licensor(), humanCount(*e.MAUCap), humanCount(c.ExpectedMonthlyUsers)),
			fmt.Sprintf("Ask the vendor for a commercial license covering > %s MAU from %s, or for a model whose license has no user cap; a reviewer accepts only with that license in hand (reason code vendor-provided-alternative-license).",
				humanCount(*e.MAUCap), e.licensor()))
	case e.MAUCap != nil:
		add(ClauseMAUCap, domain.SeverityInfo, RuleUserCap,
			fmt.Sprintf("%s caps use at %s monthly active users; the solicitation expects %s, within the cap",
				e.Name, humanCount(*e.MAUCap), humanCount(c.ExpectedMonthlyUsers)), "")
	}
	if e.AcceptableUsePolicy {
		msg := fmt.Sprintf("%s forbids a list of uses", e.Name)
		if e.AUPByReference {
			msg = fmt.Sprintf("%s incorporates an acceptable use policy by reference, from a page the licensor controls", e.Name)
		}
		if e.AUPLicensorMayUpdate {
			msg += ", and the licensor may change it after award"
		}
		if len(e.FieldOfUseRestrictions) > 0 {
			msg += "; it excludes: " + strings.Join(e.FieldOfUseRestrictions, "; ")
		}
		add(ClauseAcceptableUse, domain.SeverityWarn, RuleAcceptableUse, msg,
			"Reviewer: compare the agency's intended use with the prohibited uses and decide (accepted-for-intended-use or rejected). Officer: have the contract fix the version of any policy incorporated by reference that is in force at award.")
	} else if len(e.FieldOfUseRestrictions) > 0 {
		add(ClauseFieldOfUse, domain.SeverityWarn, RuleFieldOfUse,
			fmt.Sprintf("%s limits use to: %s", e.Name, strings.Join(e.FieldOfUseRestrictions, "; ")),
			"Reviewer: decide whether the agency's intended use falls within these limits.")
	}
	if e.NamingRequirement != nil {
		add(ClauseNaming, domain.SeverityWarn, RuleNaming,
			fmt.Sprintf("%s imposes a naming or attribution duty: %s", e.Name, *e.NamingRequirement),
			"Reviewer: confirm that the agency can display the attribution and naming the license requires in its service, and accept for the intended use; otherwise ask the vendor for terms without it.")
	}
	if e.TerminationOnLitigation {
		add(ClauseLitigation, domain.SeverityInfo, RuleLitigation,
			fmt.Sprintf("%s ends the licensee's rights if it brings infringement litigation over the licensed materials", e.Name), "")
	}
	if e.DerivativeRestrictions != nil {
		add(ClauseDerivatives, domain.SeverityInfo, RuleDerivatives, fmt.Sprintf("%s restricts derivatives: %s", e.Name, *e.DerivativeRestrictions), "")
	}
	if e.GovernmentUseNotes != "" {
		add(ClauseGovernmentUse, domain.SeverityInfo, RuleGovernmentUse, fmt.Sprintf("%s, for government use: %s", e.Name, e.GovernmentUseNotes), "")
	}
	return out
}

// citation names the license and the vendored text a clause's quote comes from.
func (e *Entry) citation(clause string) string {
	for _, q := range e.Quotes {
		if q.Clause == clause {
			return fmt.Sprintf("%s (policies/data/%s)", e.Name, q.File)
		}
	}
	if e.Unverified != "" {
		return e.Name + " (facts unverified: no vendored text)"
	}
	return e.Name + " (modeltender license knowledge base)"
}

func (e *Entry) licensor() string {
	if e.Licensor == "" {
		return "the licensor"
	}
	return e.Licensor
}

// humanCount writes 700000000 as "700M" and 1500 as "1500".
func humanCount(n int64) string {
	for _, unit := range []struct {
		size   int64
		suffix string
	}{{1_000_000_000, "B"}, {1_000_000, "M"}, {1_000, "K"}} {
		if n >= unit.size && n%unit.size == 0 {
			return strconv.FormatInt(n/unit.size, 10) + unit.suffix
		}
	}
	return strconv.FormatInt(n, 10)
}
