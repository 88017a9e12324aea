// Package demo seeds a dev stack with an agency, its officer and reviewers,
// two vendor companies with users, and an open solicitation, so a newcomer
// can try the whole procurement at once. Seeding is idempotent: a second
// start finds the same users and prints the same tokens.
package demo

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/modeltender/modeltender/examples"
	"github.com/modeltender/modeltender/internal/domain"
	"github.com/modeltender/modeltender/internal/store"
)

// Person is one demo user.
type Person struct {
	Var   string      `json:"var"`
	Email string      `json:"email"`
	Role  domain.Role `json:"role"`
	Org   string      `json:"org"`
	Token string      `json:"token"`
}

// Seeded is what the demo put in place.
type Seeded struct {
	People         []Person `json:"people"`
	SolicitationID string   `json:"solicitation_id"`
	// EvaluatingID is a solicitation with bids from both vendors that closed
	// two minutes after the first start, so reviewers have work at once.
	EvaluatingID string `json:"evaluating_solicitation_id,omitempty"`
}

const agency = "Department of Digital Services"

// Password is every demo user's web UI password. It is public on purpose:
// the demo is for trying modeltender on one's own machine.
const Password = "modeltender-demo"

// people are the demo users; tokens are created on first seeding. Var is
// the shell variable demo.env gives the token.
var people = []Person{
	{Var: "OFFICER", Email: "officer@dds.example.gov", Role: domain.RoleOfficer, Org: agency},
	{Var: "REVIEWER1", Email: "reviewer1@dds.example.gov", Role: domain.RoleReviewer, Org: agency},
	{Var: "REVIEWER2", Email: "reviewer2@dds.example.gov", Role: domain.RoleReviewer, Org: agency},
	{Var: "AUDITOR", Email: "auditor@dds.example.gov", Role: domain.RoleAuditor, Org: agency},
	{Var: "VENDOR1", Email: "bids@northwind.example", Role: domain.RoleVendor, Org: "Northwind Models Inc."},
	{Var: "VENDOR2", Email: "bids@openweights.example", Role: domain.RoleVendor, Org: "Open Weights Cooperative"},
}

// Seed creates the demo data that is missing. The state directory keeps the
// tokens between starts (the database stores only their hashes) in
// demo-tokens.json, and as shell variables in demo.env for the README's
// walk-through.
func Seed(ctx context.Context, st *store.Store, baseURL, stateDir string) (Seeded, error) {
	tokenFile := filepath.Join(stateDir, "demo-tokens.json")
	var seeded Seeded
	known := map[string]Person{}
	if b, err := os.ReadFile(tokenFile); err == nil {
		var prev Seeded
		if err := json.Unmarshal(b, &prev); err != nil {
			return seeded, fmt.Errorf("read %s: %w; delete it to issue new demo tokens", tokenFile, err)
		}
		seeded.SolicitationID, seeded.EvaluatingID = prev.SolicitationID, prev.EvaluatingID
		for _, p := range prev.People {
			known[p.Email] = p
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return seeded, err
	}
	for _, p := range people {
		person, err := ensure(ctx, st, p, known)
		if err != nil {
			return seeded, err
		}
		u, err := st.UserByEmail(ctx, p.Email)
		if err != nil {
			return seeded, err
		}
		if err := st.SetPassword(ctx, u.ID, Password); err != nil {
			return seeded, fmt.Errorf("set demo password of %s: %w", p.Email, err)
		}
		seeded.People = append(seeded.People, person)
	}
	if seeded.SolicitationID == "" {
		id, err := openSolicitation(ctx, baseURL, seeded.People[0].Token)
		if err != nil {
			return seeded, err
		}
		seeded.SolicitationID = id
	}
	if seeded.EvaluatingID == "" {
		id, err := closingSolicitation(ctx, baseURL, seeded.People)
		if err != nil {
			return seeded, err
		}
		seeded.EvaluatingID = id
	}
	b, err := json.MarshalIndent(seeded, "", "  ")
	if err != nil {
		return seeded, err
	}
	if err := os.WriteFile(tokenFile, b, 0o600); err != nil {
		return seeded, err
	}
	env := fmt.Sprintf("# modeltender demo: source this file (. %s)\nMT=%s\nSOLICITATION=%s\n",
		filepath.Join(stateDir, "demo.env"), baseURL, seeded.SolicitationID)
	for _, p := range seeded.People {
		env += fmt.Sprintf("%s=%s\n", p.Var, p.Token)
	}
	return seeded, os.WriteFile(filepath.Join(stateDir, "demo.env"), []byte(env), 0o600)
}

// ensure returns the person with a working token, creating the user or
// issuing a token as needed.
func ensure(ctx context.Context, st *store.Store, p Person, known map[string]Person) (Person, error) {
	if prev, ok := known[p.Email]; ok {
		if _, err := st.UserByToken(ctx, prev.Token); err == nil {
			p.Token = prev.Token
			return p, nil
		}
	}
	if _, err := st.UserByEmail(ctx, p.Email); err == nil {
		_, token, err := st.IssueToken(ctx, p.Email)
		p.Token = token
		return p, err
	}
	org, err := st.EnsureOrganisation(ctx, p.Org, store.OrgKindFor(p.Role))
	if err != nil {
		return p, err
	}
	_, token, err := st.CreateUser(ctx, p.Email, p.Role, org.ID)
	p.Token = token
	return p, err
}

// openSolicitation drafts and publishes the demo solicitation through the
// API, the same path an officer takes.
func openSolicitation(ctx context.Context, baseURL, officerToken string) (string, error) {
	var sol domain.Solicitation
	err := call(ctx, baseURL+"/api/v1/solicitations", officerToken, map[string]any{
		"title":                  "Open-weight language model for benefits correspondence",
		"description":            "A language model the agency can run on its own infrastructure to draft replies to benefits enquiries for caseworker review.",
		"risk_tier":              "standard",
		"deadline":               time.Now().Add(14 * 24 * time.Hour).UTC().Format(time.RFC3339),
		"expected_monthly_users": 25000,
		"minimum_openness_class": "III",
		"use_cases":              []string{"benefits-and-services", "public-information"},
	}, &sol)
	if err != nil {
		return "", fmt.Errorf("draft demo solicitation: %w", err)
	}
	if err := call(ctx, baseURL+"/api/v1/solicitations/"+sol.ID+"/publish", officerToken, nil, &sol); err != nil {
		return "", fmt.Errorf("publish demo solicitation: %w", err)
	}
	return sol.ID, nil
}

// closingSolicitation publishes a solicitation that closes two minutes from
// now and has each vendor bid a real model: Granite (Apache-2.0, complete
// evidence) and Llama 3.1 (its community license goes to a reviewer). The
// examples' evidence is re-dated to a month ago, so the demo behaves the same
// whenever it is first started.
func closingSolicitation(ctx context.Context, baseURL string, people []Person) (string, error) {
	token := map[string]string{}
	for _, p := range people {
		token[p.Var] = p.Token
	}
	var sol domain.Solicitation
	if err := call(ctx, baseURL+"/api/v1/solicitations", token["OFFICER"], map[string]any{
		"title":                  "Summarisation model for casework notes (closes two minutes after the demo starts)",
		"description":            "Summaries of casework notes for caseworkers; the agency runs the model on its own infrastructure.",
		"risk_tier":              "standard",
		"deadline":               time.Now().Add(2 * time.Minute).UTC().Format(time.RFC3339),
		"expected_monthly_users": 5000,
		"use_cases":              []string{"benefits-and-services", "internal-productivity"},
		"standstill_days":        1.0 / 24,
	}, &sol); err != nil {
		return "", fmt.Errorf("draft demo solicitation: %w", err)
	}
	if err := call(ctx, baseURL+"/api/v1/solicitations/"+sol.ID+"/publish", token["OFFICER"], nil, &sol); err != nil {
		return "", fmt.Errorf("publish demo solicitation: %w", err)
	}
	bids := []struct{ vendor, file string }{
		{"VENDOR1", "granite-3.1-8b-instruct.json"},
		{"VENDOR2", "llama-3.1-8b-instruct.json"},
	}
	for i, b := range bids {
		m, err := recentManifest(b.file)
		if err != nil {
			return "", err
		}
		body := map[string]any{"candidates": []json.RawMessage{m}, "price": map[string]any{"amount": 90000 + 30000*i, "currency": "USD"}}
		if err := call(ctx, baseURL+"/api/v1/solicitations/"+sol.ID+"/bids", token[b.vendor], body, &map[string]any{}); err != nil {
			return "", fmt.Errorf("demo bid with %s: %w", b.file, err)
		}
	}
	return sol.ID, nil
}

// recentManifest reads an example manifest with its evidence dated a month ago.
func recentManifest(name string) (json.RawMessage, error) {
	b, err := fs.ReadFile(examples.Manifests, "manifests/"+name)
	if err != nil {
		return nil, err
	}
	var m domain.Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("example %s: %w", name, err)
	}
	for i := range m.Evidence {
		m.Evidence[i].Date = time.Now().AddDate(0, -1, 0).Format("2006-01-02")
	}
	return json.Marshal(m)
}

func call(ctx context.Context, url, token string, body, out any) error {
	var r io.Reader = http.NoBody
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, r)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode >= 300 {
		return fmt.Errorf("%s: %s", resp.Status, b)
	}
	return json.Unmarshal(b, out)
}

// Print shows the demo logins a newcomer needs.
func (s Seeded) Print(w io.Writer) {
	fmt.Fprintf(w, "\nDemo data (tokens also in the state directory's demo.env and demo-tokens.json):\n")
	fmt.Fprintf(w, "  open solicitation: %s\n", s.SolicitationID)
	fmt.Fprintf(w, "  solicitation with two bids, evaluated two minutes after the first start: %s\n", s.EvaluatingID)
	fmt.Fprintf(w, "  web UI: sign in as any user below with the password %q\n", Password)
	for _, p := range s.People {
		fmt.Fprintf(w, "  %-9s %-28s %s\n", p.Role, p.Email, p.Token)
	}
}
