# METADATA
# title: Procurement rules
# description: >-
#   Contract-level rules every solicitation applies, whatever its policy
#   packs: license problems found by the license review disqualify. Rules
#   that come from a memorandum or clause live in its policy pack
#   (packs.rego, pack_*.rego).
package modeltender.procurement

# METADATA
# title: License review disqualifies
# description: >-
#   Deny findings from the license review (internal/licensing) carry over
#   unchanged, with their own rule ids, so the decision names them.
# custom:
#   source: license review findings
deny contains finding if {
	some finding in input.license_findings
	finding.severity == "deny"
}
