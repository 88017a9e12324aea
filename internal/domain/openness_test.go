package domain

import "testing"

func TestOpennessScoreScalesToTheMostOpenCandidate(t *testing.T) {
	for _, tt := range []struct {
		name     string
		criteria Criteria
		points   float64
		want     float64
	}{
		{"defaults, Class I", Criteria{}, 30, 100},
		{"defaults, Class II", Criteria{}, 20, 100 * 20.0 / 30},
		{"OSAID points raise the top", Criteria{OSAIDPreferencePoints: 10}, 30, 75},
		{"Class I and OSAID", Criteria{OSAIDPreferencePoints: 10}, 40, 100},
		{"own points", Criteria{OpennessPreferencePoints: &PreferencePoints{ClassI: 50}}, 25, 50},
		{"no points offered", Criteria{OpennessPreferencePoints: &PreferencePoints{}}, 0, 0},
		{"negative OSAID points ignored", Criteria{OSAIDPreferencePoints: -5}, 30, 100},
	} {
		if got := tt.criteria.OpennessScore(tt.points); got != tt.want {
			t.Errorf("%s: OpennessScore(%v) = %v, want %v", tt.name, tt.points, got, tt.want)
		}
	}
}
