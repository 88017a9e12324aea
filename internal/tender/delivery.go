package tender

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/modeltender/modeltender/internal/artifact"
	"github.com/modeltender/modeltender/internal/contract"
	"github.com/modeltender/modeltender/internal/domain"
	"github.com/modeltender/modeltender/internal/inputguard"
)

// TaskDeliveryMismatch is the officer's task a delivery that differs from
// its award opens; a later delivery that matches closes it.
const TaskDeliveryMismatch domain.TaskKind = "delivery-mismatch"

// DeliveryCheck is what the officer has of a delivered model: its digest
// list (slash path -> SHA-256 hex, as `modeltender artifact digest` prints
// it) and, optionally, its OMS signature bundle (model.sig) with exactly one
// trust to check it under: the vendor's public key, a certificate chain, or
// a Sigstore trusted root with the signer's identity and issuer.
type DeliveryCheck struct {
	Files            map[string]string `json:"files"`
	Signature        json.RawMessage   `json:"signature,omitempty"`
	PublicKey        string            `json:"public_key,omitempty"`
	CertificateChain string            `json:"certificate_chain,omitempty"`
	TrustedRoot      json.RawMessage   `json:"trusted_root,omitempty"`
	Identity         string            `json:"identity,omitempty"`
	Issuer           string            `json:"issuer,omitempty"`
	IgnorePaths      []string          `json:"ignore_paths,omitempty"`
}

// DeliveryResult is a delivery compared with its award. Matches is set when
// every pinned file is delivered unchanged with nothing extra, and the
// signature, when given, verified over the same files.
type DeliveryResult struct {
	AwardID   string            `json:"award_id"`
	Matches   bool              `json:"matches"`
	Delivery  artifact.Delivery `json:"delivery"`
	Signature *artifact.Result  `json:"signature,omitempty"`
	// TaskID is the officer's task a mismatch opened.
	TaskID    string    `json:"task_id,omitempty"`
	CheckedAt time.Time `json:"checked_at"`
}

// Problems lists every way the delivery differs from the award, one a line.
func (r DeliveryResult) Problems() []string {
	out := r.Delivery.Problems()
	if r.Signature != nil && !r.Signature.Verified {
		for _, p := range r.Signature.Problems() {
			out = append(out, "signature: "+p)
		}
	}
	return out
}

// CheckDelivery compares a delivered model with what its award pins, for an
// officer of the awarding agency. A match records delivery.verified and
// closes the award's open mismatch tasks; a mismatch records
// delivery.mismatch and opens a task naming every difference.
func (s *Service) CheckDelivery(ctx context.Context, u domain.User, awardID string, d DeliveryCheck) (DeliveryResult, error) {
	res := DeliveryResult{AwardID: awardID}
	if err := s.Authorize(ctx, u, "award:recommend"); err != nil {
		return res, err
	}
	if err := d.bounded(); err != nil {
		return res, err
	}
	aw, err := s.Store.Award(ctx, awardID)
	if err != nil {
		return res, err
	}
	sol, err := s.issuedSolicitation(ctx, u, aw.SolicitationID, "award:recommend")
	if err != nil {
		return res, err
	}
	if aw.Status != domain.AwardAwarded {
		return res, domain.Errorf(domain.ErrConflict, "award %s is %s: a delivery is checked once the award stands", aw.ID, aw.Status)
	}
	if aw.Pin == nil {
		return res, domain.Errorf(domain.ErrConflict, "award %s pins no artifacts: run `modeltender migrate`", aw.ID)
	}
	if len(d.Files) == 0 {
		return res, domain.InvalidFields("the delivered model's digest list is missing", []domain.FieldError{{Field: "files",
			Message: "give each delivered file's SHA-256, as `modeltender artifact digest MODEL_DIR` prints them"}})
	}
	res.Delivery, err = artifact.CompareDelivery(*aw.Pin, d.Files)
	switch {
	case errors.Is(err, artifact.ErrNothingPinned):
		return res, domain.Errorf(domain.ErrConflict, "award %s: %v, since its manifest declared none; compare the delivery by hand", aw.ID, err)
	case err != nil:
		return res, domain.InvalidFields("the digest list cannot be read", []domain.FieldError{{Field: "files", Message: err.Error()}})
	}
	if len(d.Signature) > 0 {
		sig, err := verifyDeliverySignature(d)
		if err != nil {
			return res, err
		}
		res.Signature = &sig
	}
	res.Matches = res.Delivery.Matches && (res.Signature == nil || res.Signature.Verified)
	res.CheckedAt = s.now()
	return res, s.recordDelivery(ctx, u, sol, aw, &res)
}

// verifyDeliverySignature checks the OMS bundle under the one trust given,
// over the delivered digest list.
func verifyDeliverySignature(d DeliveryCheck) (artifact.Result, error) {
	field := func(name, msg string) error {
		return domain.InvalidFields("the signature cannot be checked", []domain.FieldError{{Field: name, Message: msg}})
	}
	var trust artifact.Trust
	var err error
	switch given := btoi(d.PublicKey != "") + btoi(d.CertificateChain != "") + btoi(len(d.TrustedRoot) > 0); {
	case given != 1:
		return artifact.Result{}, field("public_key", "give exactly one of public_key, certificate_chain, or trusted_root with identity and issuer")
	case d.PublicKey != "":
		if trust, err = artifact.TrustPublicKey([]byte(d.PublicKey)); err != nil {
			return artifact.Result{}, field("public_key", err.Error())
		}
	case d.CertificateChain != "":
		if trust, err = artifact.TrustCertificateChain([]byte(d.CertificateChain)); err != nil {
			return artifact.Result{}, field("certificate_chain", err.Error())
		}
	default:
		if trust, err = artifact.TrustSigstore(d.TrustedRoot, d.Identity, d.Issuer); err != nil {
			return artifact.Result{}, field("trusted_root", err.Error())
		}
	}
	sig, err := artifact.VerifyDigests(d.Signature, d.Files, trust, artifact.Options{IgnorePaths: d.IgnorePaths})
	switch {
	case errors.Is(err, artifact.ErrBundle):
		return sig, field("signature", err.Error()+"; give the model.sig an OMS signer (model_signing) wrote")
	case err != nil:
		return sig, field("signature", err.Error())
	}
	return sig, nil
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// maxAuditedProblems bounds the differences one audit event names; the
// task lists them all.
const maxAuditedProblems = 100

// recordDelivery audits the check; a mismatch opens the officer's task, a
// match closes the award's open ones.
func (s *Service) recordDelivery(ctx context.Context, u domain.User, sol domain.Solicitation, aw domain.Award, res *DeliveryResult) error {
	problems := res.Problems()
	detail := map[string]any{"pinned": res.Delivery.Pinned, "changed": len(res.Delivery.Changed), "missing": len(res.Delivery.Missing),
		"extra": len(res.Delivery.Extra), "manifest_hash": aw.Pin.ManifestHash, "signature": res.Signature != nil}
	if res.Signature != nil && res.Signature.Signer != nil {
		detail["signer"] = res.Signature.Signer
	}
	action := "delivery.verified"
	var mismatch *domain.Task
	if !res.Matches {
		action = "delivery.mismatch"
		detail["problems"] = problems[:min(len(problems), maxAuditedProblems)]
		bid, err := s.Store.Bid(ctx, aw.BidID)
		if err != nil {
			return err
		}
		findings := make([]domain.Finding, len(problems))
		for i, p := range problems {
			kind, _, _ := strings.Cut(p, ":")
			findings[i] = domain.Finding{Rule: "delivery." + strings.Fields(kind)[0], Severity: domain.SeverityDeny, Message: p,
				Evidence: domain.Evidence{Component: "award " + aw.ID},
				Source:   "modeltender delivery check against the award's pinned digests",
				Fix:      "ask the vendor to deliver the awarded model (or a signed notice of the change), then check the delivery again"}
		}
		task := domain.Task{ID: fmt.Sprintf("tsk-delivery-%s-%d", aw.ID, res.CheckedAt.UnixNano()), Kind: TaskDeliveryMismatch,
			Status: domain.TaskOpen, SolicitationID: sol.ID, BidID: aw.BidID, CandidateID: aw.CandidateID, VendorOrgID: bid.VendorOrgID,
			WorkflowID: contract.SolicitationWorkflowID(sol.ID), Title: "The delivered model differs from award " + aw.ID,
			Findings: findings, FindingsHash: domain.HashFindings(findings), Approvals: 1, CreatedAt: res.CheckedAt}
		res.TaskID = task.ID
		detail["task_id"] = task.ID
		mismatch = &task
	}
	// The task (or the closing of the award's tasks) commits with its audit row.
	return s.Store.RecordDeliveryCheck(ctx, aw.ID, mismatch, res.CheckedAt, auditEvent(u, action, "award", aw.ID, sol.ID, res.CheckedAt, detail))
}

// Bounds of a delivery check's typed fields: a PEM public key or a short
// certificate chain, and the paths a model leaves out.
const (
	maxPEMChars    = 64 << 10
	maxIgnorePaths = 1_000
)

// bounded refuses a typed field past its bound, naming each. The API holds
// a delivery's body to the text rules only, since a signature bundle's and
// a trusted root's base64 members run far past any field length
// (internal/artifact parses both as hostile input with its own bounds);
// the form's uploads are bounded by the body limit alone.
func (d DeliveryCheck) bounded() error {
	var fields []domain.FieldError
	limit := func(name, v string, max int) {
		if n := utf8.RuneCountInString(v); n > max {
			fields = append(fields, domain.FieldError{Field: name, Message: fmt.Sprintf("is %d characters long; at most %d are accepted", n, max)})
		}
	}
	limit("public_key", d.PublicKey, maxPEMChars)
	limit("certificate_chain", d.CertificateChain, maxPEMChars)
	limit("identity", d.Identity, inputguard.DefaultMaxLength)
	limit("issuer", d.Issuer, inputguard.DefaultMaxLength)
	for i, p := range d.IgnorePaths {
		limit(fmt.Sprintf("ignore_paths[%d]", i), p, inputguard.DefaultMaxLength)
	}
	if len(d.IgnorePaths) > maxIgnorePaths {
		fields = append(fields, domain.FieldError{Field: "ignore_paths", Message: fmt.Sprintf("lists %d paths; at most %d are accepted", len(d.IgnorePaths), maxIgnorePaths)})
	}
	if len(fields) > 0 {
		return inputguard.InvalidText(fields)
	}
	return nil
}
