package e2e

import (
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/modeltender/modeltender/internal/domain"
	"github.com/modeltender/modeltender/internal/ocds"
)

// awardTo has the officer recommend a candidate and the named reviewers
// approve the award.
func (s *stack) awardTo(solicitationID, candidateID string, approvers ...string) domain.Award {
	s.t.Helper()
	var ranking struct{ Ranking []domain.RankedCandidate }
	s.eventually("the ranking", time.Minute, func() bool {
		r := s.do("officer", "GET", "/api/v1/solicitations/"+solicitationID+"/ranking", nil)
		if r.status != http.StatusOK {
			return false
		}
		r.decode(s.t, &ranking)
		return len(ranking.Ranking) > 0
	})
	var aw domain.Award
	s.eventually("the solicitation to accept a recommendation", time.Minute, func() bool {
		r := s.do("officer", "POST", "/api/v1/solicitations/"+solicitationID+"/award", map[string]any{
			"candidate_id": candidateID, "rationale": "highest ranked; evidence complete",
		})
		if r.status == http.StatusConflict {
			return false // ranking stored, status not yet evaluated
		}
		if r.status != http.StatusCreated {
			s.t.Fatalf("recommend: %d %s", r.status, r.body)
		}
		r.decode(s.t, &aw)
		return true
	})
	for _, reviewer := range approvers {
		task := s.awardTask(reviewer, aw.ID)
		s.must(http.StatusOK, reviewer, "POST", "/api/v1/tasks/"+task.ID+"/decision",
			map[string]any{"verdict": "approve", "reason_code": "meets-requirements", "comment": "ranking and rationale hold"})
	}
	return aw
}

func (s *stack) awardTask(reviewer, awardID string) domain.Task {
	s.t.Helper()
	var found domain.Task
	s.eventually("the award approval task", time.Minute, func() bool {
		var inbox struct{ Tasks []domain.Task }
		s.must(http.StatusOK, reviewer, "GET", "/api/v1/tasks", nil).decode(s.t, &inbox)
		for _, t := range inbox.Tasks {
			if t.Kind == domain.TaskAwardApproval && strings.Contains(t.ID, awardID) {
				found = t
				return true
			}
		}
		return false
	})
	return found
}

// validNotice fetches the public OCDS notice without credentials and checks
// it against the official schema and the award.
func (s *stack) validNotice(solicitationID, candidateID string) {
	s.t.Helper()
	resp, err := http.Get(s.url + "/api/v1/solicitations/" + solicitationID + "/ocds")
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	doc, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		s.t.Fatalf("notice: %d %s %v", resp.StatusCode, doc, err)
	}
	if err := ocds.Validate(doc); err != nil {
		s.t.Fatalf("the notice is not a valid OCDS release package: %v\n%s", err, doc)
	}
	var pkg struct {
		Releases []struct {
			Tag    []string `json:"tag"`
			Awards []struct {
				Status string `json:"status"`
				Title  string `json:"title"`
			} `json:"awards"`
		} `json:"releases"`
	}
	response{status: resp.StatusCode, body: doc}.decode(s.t, &pkg)
	rel := pkg.Releases[0]
	if rel.Tag[0] != "award" || len(rel.Awards) == 0 || rel.Awards[len(rel.Awards)-1].Status != "active" {
		s.t.Fatalf("notice does not announce the award: %s", doc)
	}
	if strings.Contains(string(doc), "manifest") || strings.Contains(string(doc), "findings") {
		s.t.Fatalf("the notice publishes bid contents: %s", doc)
	}
}
