package domain

// OutcomeNeedsReview is the outcome of an automated check that found
// something a reviewer must judge, or that could not decide at all.
const OutcomeNeedsReview Outcome = "needs_review"

// PreferencePoints are the points a solicitation awards per MOF class
// reached; a nil *PreferencePoints in Criteria means the policy defaults
// (I 30, II 20, III 10).
type PreferencePoints struct {
	ClassI   int `json:"I"`
	ClassII  int `json:"II"`
	ClassIII int `json:"III"`
}

// DefaultPreferencePoints are the policy's points when a solicitation sets none.
var DefaultPreferencePoints = PreferencePoints{ClassI: 30, ClassII: 20, ClassIII: 10}

// OpennessScore scales the points a candidate earned to 0..100 of what the
// most open candidate earns (Class I, plus the Open Source AI Definition
// points when the solicitation offers them), so ranking can weigh openness
// beside price.
func (c Criteria) OpennessScore(points float64) float64 {
	p := DefaultPreferencePoints
	if c.OpennessPreferencePoints != nil {
		p = *c.OpennessPreferencePoints
	}
	most := p.ClassI + max(0, c.OSAIDPreferencePoints)
	if most <= 0 {
		return 0
	}
	return min(100, 100*points/float64(most))
}
