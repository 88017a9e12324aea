package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/modeltender/modeltender/internal/domain"
)

// RegisterSigningIdentity stores a vendor organisation's signing identity
// and audits it in the same transaction. A second identity in force under
// the same label is refused.
func (s *Store) RegisterSigningIdentity(ctx context.Context, id domain.SigningIdentity) error {
	return s.inTx(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO signing_identities
			(id, org_id, label, method, public_key, certificate_chain, identity, issuer, fingerprint, created_by, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
			id.ID, id.OrgID, id.Name, id.Method, id.PublicKey, id.CertificateChain, id.Identity, id.Issuer, id.Fingerprint, id.CreatedBy, id.CreatedAt)
		if isUniqueViolation(err) {
			return domain.Errorf(domain.ErrConflict, "your organisation already has a signing identity labelled %q: choose another label, or revoke that one first", id.Name)
		}
		if err != nil {
			return fmt.Errorf("register signing identity of %s: %w", id.OrgID, err)
		}
		return appendAudit(ctx, tx, AuditEvent{
			Key: "signing-identity/" + id.ID + "/registered", At: id.CreatedAt, Actor: id.CreatedBy, Action: "signing-identity.registered",
			SubjectType: "organisation", SubjectID: id.OrgID,
			Detail: map[string]any{"identity_id": id.ID, "label": id.Name, "method": id.Method, "fingerprint": id.Fingerprint,
				"identity": id.Identity, "issuer": id.Issuer},
		})
	})
}

// RevokeSigningIdentity revokes an organisation's identity in force, and
// audits it in the same transaction. Checks from then on do not trust it.
func (s *Store) RevokeSigningIdentity(ctx context.Context, orgID, identityID, by string, at time.Time) error {
	return s.inTx(ctx, func(tx pgx.Tx) error {
		var label string
		err := tx.QueryRow(ctx, `UPDATE signing_identities SET revoked_at = $4, revoked_by = $3
			WHERE id = $1 AND org_id = $2 AND revoked_at IS NULL RETURNING label`, identityID, orgID, by, at).Scan(&label)
		if err != nil {
			return notFound(fmt.Errorf("revoke signing identity %s: %w", identityID, err),
				"your organisation has no signing identity %s in force to revoke", identityID)
		}
		return appendAudit(ctx, tx, AuditEvent{
			Key: "signing-identity/" + identityID + "/revoked", At: at, Actor: by, Action: "signing-identity.revoked",
			SubjectType: "organisation", SubjectID: orgID, Detail: map[string]any{"identity_id": identityID, "label": label},
		})
	})
}

const identityColumns = `id, org_id, label, method, public_key, certificate_chain, identity, issuer, fingerprint,
	created_by, created_at, coalesce(revoked_by, ''), revoked_at`

func scanIdentity(r pgx.CollectableRow) (domain.SigningIdentity, error) {
	var i domain.SigningIdentity
	err := r.Scan(&i.ID, &i.OrgID, &i.Name, &i.Method, &i.PublicKey, &i.CertificateChain, &i.Identity, &i.Issuer, &i.Fingerprint,
		&i.CreatedBy, &i.CreatedAt, &i.RevokedBy, &i.RevokedAt)
	return i, err
}

// SigningIdentities lists an organisation's signing identities, revoked
// ones included, oldest first.
func (s *Store) SigningIdentities(ctx context.Context, orgID string) ([]domain.SigningIdentity, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+identityColumns+` FROM signing_identities
		WHERE org_id = $1 ORDER BY created_at, id`, orgID)
	if err != nil {
		return nil, fmt.Errorf("list signing identities of %s: %w", orgID, err)
	}
	return pgx.CollectRows(rows, scanIdentity)
}

// CandidateSigningIdentities lists the signing identities in force at at of
// the organisation that bid the candidate, oldest first: those a check at
// that moment verifies the candidate's signature under.
func (s *Store) CandidateSigningIdentities(ctx context.Context, candidateID string, at time.Time) ([]domain.SigningIdentity, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+identityColumns+` FROM signing_identities
		WHERE org_id = (SELECT b.vendor_org_id FROM candidates c JOIN bids b ON b.id = c.bid_id WHERE c.id = $1)
		  AND created_at <= $2 AND (revoked_at IS NULL OR revoked_at > $2)
		ORDER BY created_at, id`, candidateID, at)
	if err != nil {
		return nil, fmt.Errorf("list signing identities for candidate %s: %w", candidateID, err)
	}
	return pgx.CollectRows(rows, scanIdentity)
}

// OrganisationBidsOpened reports whether any bid of the organisation has
// been opened (its solicitation's deadline passed and the bids unsealed):
// from then on agency staff may read what the organisation bid with.
func (s *Store) OrganisationBidsOpened(ctx context.Context, orgID, agencyOrgID string) (bool, error) {
	var opened bool
	err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM bids b JOIN solicitations s ON s.id = b.solicitation_id
		WHERE b.vendor_org_id = $1 AND s.agency_org_id = $2 AND b.status <> 'withdrawn'
		  AND (s.status IN ('closed', 'evaluating', 'evaluated', 'award-pending', 'standstill', 'awarded')
		   OR (s.status = 'cancelled' AND s.closed_at IS NOT NULL)))`, orgID, agencyOrgID).Scan(&opened)
	if err != nil {
		return false, fmt.Errorf("whether bids of %s to %s were opened: %w", orgID, agencyOrgID, err)
	}
	return opened, nil
}
