package contract

import "time"

// ChangeNoticeSignal tells an awarded candidate's monitoring workflow that
// its vendor notified a change of the model (a new version or changed
// digests): it re-checks the candidate now, under the solicitation's frozen
// criteria and revision, and asks reviewers to re-attest it.
const ChangeNoticeSignal = "change-notice"

// NoticeOutputReport is the kind of notice the agency sends when someone
// reports an output of the awarded model that violates the contract's
// terms (for an LLM, OMB M-26-04's unbiased AI principles): reviewers look
// at the report beside a fresh re-check.
const NoticeOutputReport = "output-report"

// ChangeNotice is a vendor's notice of a change to an awarded model, as the
// monitoring workflow receives it. Differences name how it departs from
// what the award pins.
type ChangeNotice struct {
	ID string `json:"id"`
	// Kind is "" for a vendor's change notice, NoticeOutputReport for the
	// agency's report of an output that violates the contract's terms.
	Kind          string    `json:"kind,omitempty"`
	AwardID       string    `json:"award_id"`
	Version       string    `json:"version,omitempty"`
	WeightsDigest string    `json:"weights_digest,omitempty"`
	Differences   []string  `json:"differences,omitempty"`
	Description   string    `json:"description"`
	NotifiedBy    string    `json:"notified_by"`
	At            time.Time `json:"at"`
}
