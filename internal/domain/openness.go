package domain

// OutcomeNeedsReview is the outcome of an automated check that found
// something a reviewer must judge, or that could not decide at all.
const OutcomeNeedsReview Outcome = "needs_review"

// OpennessClasses are the Model Openness Framework classes, most open first.
var OpennessClasses = []string{"I", "II", "III"}

// PreferencePoints are the points a solicitation awards per MOF class
// reached; a nil *PreferencePoints in Criteria means the policy defaults
// (I 30, II 20, III 10).
type PreferencePoints struct {
	ClassI   int `json:"I"`
	ClassII  int `json:"II"`
	ClassIII int `json:"III"`
}
