package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/gowebpki/jcs"
	"github.com/jackc/pgx/v5"
)

// AuditEvent is one entry of the append-only audit trail.
type AuditEvent struct {
	Key            string         `json:"-"` // idempotency key: a retried write is stored once
	At             time.Time      `json:"at"`
	Actor          string         `json:"actor"`
	Action         string         `json:"action"`
	SubjectType    string         `json:"subject_type"`
	SubjectID      string         `json:"subject_id"`
	SolicitationID string         `json:"solicitation_id,omitempty"`
	Detail         map[string]any `json:"detail,omitempty"`

	// Set on stored events (AppendAudit computes them): the event's place on
	// its chain, the hash of the event before it there, and its own hash.
	Seq      int64  `json:"seq,omitempty"`
	PrevHash string `json:"prev_hash,omitempty"`
	Hash     string `json:"hash,omitempty"`
}

// chain is the audit chain the event belongs to, as the generated column
// audit_events.chain computes it: its solicitation's, or the global one ("").
func (e AuditEvent) chain() string {
	switch {
	case e.SolicitationID != "":
		return e.SolicitationID
	case e.SubjectType == "solicitation":
		return e.SubjectID
	}
	return ""
}

// genesisHash is the prev_hash of the first row of every chain.
const genesisHash = "0000000000000000000000000000000000000000000000000000000000000000"

// auditChainLock is the first key of the advisory lock that serialises
// appends to one chain (the second is the hash of the chain's name).
const auditChainLock = 0x6d746175 // "mtau"

// auditForm is what an audit row's hash covers: every column but the storage
// id (the chain follows from solicitation_id and the subject), as RFC 8785
// canonical JSON. at has PostgreSQL's precision, microseconds, in UTC; a
// missing solicitation is null; detail is the stored jsonb. Migration 00006
// builds the same form in SQL for rows older than the chain.
type auditForm struct {
	Seq            int64           `json:"seq"`
	At             string          `json:"at"`
	Actor          string          `json:"actor"`
	Action         string          `json:"action"`
	SubjectType    string          `json:"subject_type"`
	SubjectID      string          `json:"subject_id"`
	SolicitationID *string         `json:"solicitation_id"`
	Detail         json.RawMessage `json:"detail"`
	IdempotencyKey string          `json:"idempotency_key"`
	PrevHash       string          `json:"prev_hash"`
}

// auditTimeLayout writes at to the microsecond, which is what PostgreSQL keeps.
const auditTimeLayout = "2006-01-02T15:04:05.000000Z"

// canonical is the form as RFC 8785 JSON, the bytes the hash covers.
func (f auditForm) canonical() ([]byte, error) {
	b, err := json.Marshal(f)
	if err != nil {
		return nil, fmt.Errorf("encode audit row %d: %w", f.Seq, err)
	}
	c, err := jcs.Transform(b)
	if err != nil {
		return nil, fmt.Errorf("canonicalise audit row %d: %w", f.Seq, err)
	}
	return c, nil
}

// hash is the hex SHA-256 of the form's canonical JSON.
func (f auditForm) hash() (string, error) {
	c, err := f.canonical()
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(c)
	return hex.EncodeToString(sum[:]), nil
}

// AppendAudit stores an audit event once per idempotency key, as the next
// row of its chain, in a transaction of its own.
func (s *Store) AppendAudit(ctx context.Context, e AuditEvent) error {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("append audit event %s: %w", e.Key, err)
	}
	// A failed append leaves the connection inside its transaction; Release
	// then closes it, which rolls the transaction back.
	defer conn.Release()
	return sendAudit(ctx, conn, e, true)
}

// appendAudit appends e to its chain inside tx, which holds the chain until it
// ends: a caller's transaction commits the event with its other writes.
func appendAudit(ctx context.Context, tx pgx.Tx, e AuditEvent) error {
	return sendAudit(ctx, tx, e, false)
}

// batchSender is a connection or a transaction.
type batchSender interface {
	SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults
}

// sendAudit appends e in two round trips: lock the chain and read its head,
// then insert the row that follows it; standalone wraps both in BEGIN and
// COMMIT. A retry of a stored key changes nothing: ON CONFLICT skips the row,
// and the chain head only moves in the trigger that follows an inserted row.
func sendAudit(ctx context.Context, db batchSender, e AuditEvent, standalone bool) error {
	detail := []byte("{}")
	if e.Detail != nil {
		var err error
		if detail, err = json.Marshal(e.Detail); err != nil {
			return fmt.Errorf("append audit event %s: encode detail: %w", e.Key, err)
		}
	}
	chain := e.chain()
	// The lock is taken before the head is read: in READ COMMITTED the second
	// statement sees the head the previous holder committed.
	batch := &pgx.Batch{}
	if standalone {
		batch.Queue(`BEGIN`)
	}
	batch.Queue(`SELECT pg_advisory_xact_lock($1, hashtext($2))`, auditChainLock, chain)
	prev := ChainHead{Chain: chain, Hash: genesisHash}
	batch.Queue(`SELECT seq, hash FROM audit_chain_heads WHERE chain = $1`, chain).QueryRow(func(row pgx.Row) error {
		if err := row.Scan(&prev.Seq, &prev.Hash); err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		return nil
	})
	if err := db.SendBatch(ctx, batch).Close(); err != nil {
		return fmt.Errorf("append audit event %s: lock chain %q: %w", e.Key, chain, err)
	}

	at := e.At.Truncate(time.Microsecond)
	form := auditForm{
		Seq: prev.Seq + 1, At: at.UTC().Format(auditTimeLayout), Actor: e.Actor, Action: e.Action,
		SubjectType: e.SubjectType, SubjectID: e.SubjectID, Detail: detail, IdempotencyKey: e.Key, PrevHash: prev.Hash,
	}
	if e.SolicitationID != "" {
		form.SolicitationID = &e.SolicitationID
	}
	hash, err := form.hash()
	if err != nil {
		return fmt.Errorf("append audit event %s: %w", e.Key, err)
	}
	batch = &pgx.Batch{}
	batch.Queue(`
		INSERT INTO audit_events (idempotency_key, at, actor, action, subject_type, subject_id, solicitation_id, detail,
			seq, prev_hash, hash)
		VALUES ($1, $2, $3, $4, $5, $6, NULLIF($7, ''), $8, $9, $10, $11) ON CONFLICT (idempotency_key) DO NOTHING`,
		e.Key, at, e.Actor, e.Action, e.SubjectType, e.SubjectID, e.SolicitationID, detail, form.Seq, prev.Hash, hash)
	if standalone {
		batch.Queue(`COMMIT`)
	}
	if err := db.SendBatch(ctx, batch).Close(); err != nil {
		return fmt.Errorf("append audit event %s: %w", e.Key, err)
	}
	return nil
}

// AuditTrail lists the events of a solicitation's chain (everything in it),
// oldest first.
func (s *Store) AuditTrail(ctx context.Context, solicitationID string) ([]AuditEvent, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT at, actor, action, subject_type, subject_id, COALESCE(solicitation_id, ''), detail, seq, prev_hash, hash
		FROM audit_events WHERE chain = $1 ORDER BY seq`, solicitationID)
	if err != nil {
		return nil, fmt.Errorf("read audit trail of %s: %w", solicitationID, err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (AuditEvent, error) {
		var e AuditEvent
		var detail []byte
		if err := r.Scan(&e.At, &e.Actor, &e.Action, &e.SubjectType, &e.SubjectID, &e.SolicitationID, &detail,
			&e.Seq, &e.PrevHash, &e.Hash); err != nil {
			return e, err
		}
		return e, json.Unmarshal(detail, &e.Detail)
	})
}

// ChainHead is the last row of an audit chain: what a published notice
// carries so that a later rewrite of the chain shows.
type ChainHead struct {
	Chain string `json:"chain"` // the solicitation id; "" for the global chain
	Seq   int64  `json:"seq"`   // 0 for a chain with no rows yet
	Hash  string `json:"hash"`
}

// AuditChainHead returns the recorded head of a solicitation's chain ("" for
// the global chain); a chain with no rows has seq 0 and the genesis hash.
func (s *Store) AuditChainHead(ctx context.Context, solicitationID string) (ChainHead, error) {
	h := ChainHead{Chain: solicitationID, Hash: genesisHash}
	err := s.pool.QueryRow(ctx, `SELECT seq, hash FROM audit_chain_heads WHERE chain = $1`, solicitationID).
		Scan(&h.Seq, &h.Hash)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return h, fmt.Errorf("read audit chain head of %q: %w", solicitationID, err)
	}
	return h, nil
}

// ProblemKind says how a chain is broken.
type ProblemKind string

// The ways verification finds a chain broken.
const (
	HashMismatch   ProblemKind = "hash-mismatch"   // a row no longer matches its hash
	BrokenLink     ProblemKind = "broken-link"     // a row's prev_hash is not the hash of the row before it
	SequenceGap    ProblemKind = "sequence-gap"    // seq skips or repeats a number
	HeadMismatch   ProblemKind = "head-mismatch"   // the chain does not end at its recorded head
	AnchorMismatch ProblemKind = "anchor-mismatch" // a head published earlier is no longer in the chain
)

// ChainProblem is the first place a chain is broken.
type ChainProblem struct {
	Kind  ProblemKind `json:"kind"`
	Seq   int64       `json:"seq"`              // the offending row's place on the chain
	RowID int64       `json:"row_id,omitempty"` // its audit_events id; 0 when the row is gone
	What  string      `json:"what"`             // what was found and what it means
}

// ChainStatus is the outcome of walking one chain.
type ChainStatus struct {
	Chain   string        `json:"chain"` // the solicitation id; "" for the global chain
	Intact  bool          `json:"intact"`
	Rows    int64         `json:"rows"`              // rows that checked out before the walk stopped
	Head    ChainHead     `json:"head"`              // the last of them: the head when intact
	Problem *ChainProblem `json:"problem,omitempty"` // nil when intact
}

// String tells a person how the chain stands, one line.
func (s ChainStatus) String() string {
	name := "solicitation " + s.Chain
	if s.Chain == "" {
		name = "global chain (events outside any solicitation)"
	}
	if s.Problem == nil {
		return fmt.Sprintf("%s: intact, rows checked: %d, head seq %d hash %s", name, s.Rows, s.Head.Seq, s.Head.Hash)
	}
	return fmt.Sprintf("%s: BROKEN at seq %d, %s: %s (rows checked before it: %d)",
		name, s.Problem.Seq, s.Problem.Kind, s.Problem.What, s.Rows)
}

// snapshot reads rows and heads as of one moment, so appends committed
// during a walk are not mistaken for rows inserted behind the chain's back.
var snapshot = pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}

// VerifyAuditChain walks a solicitation's chain ("" for the global chain)
// from its first row: each row must follow the one before it (seq, prev_hash),
// match its own hash, and the last must be the recorded head. Each anchor (a
// head published earlier) must still be the chain's row at its seq. A broken
// chain is a status with a Problem, not an error; errors are failures to read.
func (s *Store) VerifyAuditChain(ctx context.Context, solicitationID string, anchors ...ChainHead) (ChainStatus, error) {
	var st ChainStatus
	err := pgx.BeginTxFunc(ctx, s.pool, snapshot, func(tx pgx.Tx) error {
		var err error
		st, err = verifyChain(ctx, tx, solicitationID, anchors)
		return err
	})
	return st, err
}

// VerifyAuditChains walks every chain, the global one and each
// solicitation's, as of one moment.
func (s *Store) VerifyAuditChains(ctx context.Context) ([]ChainStatus, error) {
	var out []ChainStatus
	err := pgx.BeginTxFunc(ctx, s.pool, snapshot, func(tx pgx.Tx) error {
		// A chain whose head row is gone still has rows, and the other way round.
		rows, err := tx.Query(ctx, `SELECT chain FROM audit_chain_heads UNION SELECT chain FROM audit_events ORDER BY 1`)
		if err != nil {
			return fmt.Errorf("list audit chains: %w", err)
		}
		chains, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return fmt.Errorf("list audit chains: %w", err)
		}
		for _, c := range chains {
			st, err := verifyChain(ctx, tx, c, nil)
			if err != nil {
				return err
			}
			out = append(out, st)
		}
		return nil
	})
	return out, err
}

// chainRow is one stored audit row as verification reads it.
type chainRow struct {
	id   int64
	form auditForm
	hash string
}

// chainWalk is the state of a walk: where it is and what it has seen.
type chainWalk struct {
	st        ChainStatus
	prevID    int64            // id of the last row that checked out
	anchors   map[int64]string // seq -> published hash
	headSeq   int64            // the recorded head
	headHash  string
	afterHead int64 // id of the row at headSeq+1, if any
}

func verifyChain(ctx context.Context, tx pgx.Tx, chain string, anchors []ChainHead) (ChainStatus, error) {
	w := chainWalk{st: ChainStatus{Chain: chain, Head: ChainHead{Chain: chain, Hash: genesisHash}}, anchors: map[int64]string{}}
	for _, a := range anchors {
		w.anchors[a.Seq] = a.Hash
	}
	err := tx.QueryRow(ctx, `SELECT seq, hash FROM audit_chain_heads WHERE chain = $1`, chain).Scan(&w.headSeq, &w.headHash)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return w.st, fmt.Errorf("read audit chain head of %q: %w", chain, err)
	}
	rows, err := tx.Query(ctx, `
		SELECT id, seq, at, actor, action, subject_type, subject_id, solicitation_id, detail::text, idempotency_key,
			prev_hash, hash
		FROM audit_events WHERE chain = $1 ORDER BY seq, id`, chain)
	if err != nil {
		return w.st, fmt.Errorf("read audit chain %q: %w", chain, err)
	}
	var broken *chainRow // the row whose link is broken, diagnosed once rows are closed
	for rows.Next() {
		var r chainRow
		var at time.Time
		var detail string
		if err := rows.Scan(&r.id, &r.form.Seq, &at, &r.form.Actor, &r.form.Action, &r.form.SubjectType,
			&r.form.SubjectID, &r.form.SolicitationID, &detail, &r.form.IdempotencyKey, &r.form.PrevHash, &r.hash); err != nil {
			rows.Close()
			return w.st, fmt.Errorf("read audit chain %q: %w", chain, err)
		}
		r.form.At = at.UTC().Format(auditTimeLayout)
		r.form.Detail = json.RawMessage(detail)
		stop, err := w.check(&r)
		if err != nil {
			rows.Close()
			return w.st, fmt.Errorf("verify audit chain %q: %w", chain, err)
		}
		if stop {
			if w.st.Problem == nil {
				broken = &r
			}
			break
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return w.st, fmt.Errorf("read audit chain %q: %w", chain, err)
	}
	if broken != nil {
		if err := w.diagnoseLink(ctx, tx, broken); err != nil {
			return w.st, err
		}
	}
	if w.st.Problem == nil {
		w.checkEnd()
	}
	w.st.Intact = w.st.Problem == nil
	return w.st, nil
}

// check takes the next row in seq order. It stops the walk at the first
// problem, leaving a broken link (problem still nil) for diagnoseLink.
func (w *chainWalk) check(r *chainRow) (stop bool, err error) {
	want := w.st.Head.Seq + 1
	switch {
	case r.form.Seq > want:
		what := fmt.Sprintf("row seq %d is missing (deleted): the chain goes on at seq %d (id %d)", want, r.form.Seq, r.id)
		if r.form.Seq > want+1 {
			what = fmt.Sprintf("rows seq %d to %d are missing (deleted): the chain goes on at seq %d (id %d)",
				want, r.form.Seq-1, r.form.Seq, r.id)
		}
		w.st.Problem = &ChainProblem{Kind: SequenceGap, Seq: want, What: what}
		return true, nil
	case r.form.Seq < want:
		w.st.Problem = &ChainProblem{Kind: SequenceGap, Seq: r.form.Seq, RowID: r.id,
			What: fmt.Sprintf("row id %d repeats seq %d: it was inserted behind the chain's back", r.id, r.form.Seq)}
		return true, nil
	}
	if r.form.PrevHash != w.st.Head.Hash {
		return true, nil
	}
	h, err := r.form.hash()
	if err != nil {
		return true, err
	}
	if h != r.hash {
		w.st.Problem = &ChainProblem{Kind: HashMismatch, Seq: r.form.Seq, RowID: r.id,
			What: fmt.Sprintf("row seq %d (id %d) no longer matches its hash: it was changed", r.form.Seq, r.id)}
		return true, nil
	}
	if a, ok := w.anchors[r.form.Seq]; ok && a != r.hash {
		w.st.Problem = &ChainProblem{Kind: AnchorMismatch, Seq: r.form.Seq, RowID: r.id,
			What: fmt.Sprintf("row seq %d (id %d) has hash %s, not the published %s: the chain was rewritten from there on or before",
				r.form.Seq, r.id, r.hash, a)}
		return true, nil
	}
	if r.form.Seq == w.headSeq+1 {
		w.afterHead = r.id
	}
	w.st.Rows++
	w.st.Head = ChainHead{Chain: w.st.Chain, Seq: r.form.Seq, Hash: r.hash}
	w.prevID = r.id
	return false, nil
}

// diagnoseLink names the row behind a broken link: the row r was appended
// after (the one whose hash is r's prev_hash) tells whether rows were
// inserted before r, r was moved, or the row before r was changed.
func (w *chainWalk) diagnoseLink(ctx context.Context, tx pgx.Tx, r *chainRow) error {
	seq := r.form.Seq
	var linkedID, linkedSeq, nextID int64
	err := tx.QueryRow(ctx, `
		SELECT l.id, l.seq, COALESCE(n.id, 0) FROM audit_events l
		LEFT JOIN audit_events n ON n.chain = l.chain AND n.seq = l.seq + 1
		WHERE l.chain = $1 AND l.hash = $2 ORDER BY l.seq LIMIT 1`, w.st.Chain, r.form.PrevHash).Scan(&linkedID, &linkedSeq, &nextID)
	found := err == nil
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("verify audit chain %q: find the row seq %d follows: %w", w.st.Chain, seq, err)
	}
	p := &ChainProblem{Kind: BrokenLink}
	switch {
	case found && linkedSeq < seq-1:
		p.Seq, p.RowID = linkedSeq+1, nextID
		p.What = fmt.Sprintf("row seq %d (id %d) was inserted: row seq %d (id %d) was appended right after row seq %d (id %d)",
			linkedSeq+1, nextID, seq, r.id, linkedSeq, linkedID)
	case found && linkedSeq > seq-1:
		p.Seq, p.RowID = seq, r.id
		p.What = fmt.Sprintf("rows were reordered: row seq %d (id %d) was appended after row id %d, which now sits at seq %d",
			seq, r.id, linkedID, linkedSeq)
	default:
		h, err := r.form.hash()
		if err != nil {
			return fmt.Errorf("verify audit chain %q: %w", w.st.Chain, err)
		}
		if h != r.hash || seq == 1 {
			p.Seq, p.RowID = seq, r.id
			p.What = fmt.Sprintf("row seq %d (id %d) links to a row that is not in the chain: it was changed, "+
				"or rows before it were deleted and the rest renumbered", seq, r.id)
		} else {
			p.Seq, p.RowID = seq-1, w.prevID
			p.What = fmt.Sprintf("row seq %d (id %d) is not the row that seq %d (id %d) was appended after: "+
				"it was changed and its hash recomputed, or replaced", seq-1, w.prevID, seq, r.id)
		}
	}
	w.st.Problem = p
	return nil
}

// checkEnd compares where the walk ended with the recorded head and with
// anchors past the end.
func (w *chainWalk) checkEnd() {
	last := w.st.Head
	switch {
	case w.headSeq > last.Seq:
		w.st.Problem = &ChainProblem{Kind: HeadMismatch, Seq: last.Seq + 1,
			What: fmt.Sprintf("the chain ends at seq %d but its recorded head is seq %d (hash %s): rows from seq %d on were deleted",
				last.Seq, w.headSeq, w.headHash, last.Seq+1)}
	case w.headSeq < last.Seq:
		w.st.Problem = &ChainProblem{Kind: HeadMismatch, Seq: w.headSeq + 1, RowID: w.afterHead,
			What: fmt.Sprintf("row seq %d (id %d) is past the recorded head (seq %d): it was inserted without the append path",
				w.headSeq+1, w.afterHead, w.headSeq)}
	case last.Seq > 0 && w.headHash != last.Hash:
		w.st.Problem = &ChainProblem{Kind: HeadMismatch, Seq: last.Seq, RowID: w.prevID,
			What: fmt.Sprintf("the last row, seq %d (id %d), has hash %s but the recorded head is %s: it was replaced",
				last.Seq, w.prevID, last.Hash, w.headHash)}
	}
	if w.st.Problem != nil {
		return
	}
	for _, seq := range slices.Sorted(maps.Keys(w.anchors)) {
		hash := w.anchors[seq]
		if seq > last.Seq || (seq == 0 && hash != genesisHash) {
			w.st.Problem = &ChainProblem{Kind: AnchorMismatch, Seq: seq,
				What: fmt.Sprintf("the published head seq %d (hash %s) is not in the chain, which ends at seq %d: rows were removed",
					seq, hash, last.Seq)}
			return
		}
	}
}

// TableCounts returns the number of rows in each table, so tests can prove a
// refused request wrote nothing.
func (s *Store) TableCounts(ctx context.Context) (map[string]int64, error) {
	out := map[string]int64{}
	for _, t := range []string{"organisations", "users", "api_tokens", "solicitations", "bids", "candidates",
		"evaluations", "evaluation_stages", "tasks", "decisions", "audit_events"} {
		var n int64
		if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM `+t).Scan(&n); err != nil {
			return nil, fmt.Errorf("count %s: %w", t, err)
		}
		out[t] = n
	}
	return out, nil
}

// AuditTrailAll renders every audit event, one a line, for test failure messages.
func (s *Store) AuditTrailAll(ctx context.Context) (string, error) {
	var out string
	rows, err := s.pool.Query(ctx, `SELECT action, subject_id, detail::text FROM audit_events ORDER BY id`)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	for rows.Next() {
		var a, id, d string
		if err := rows.Scan(&a, &id, &d); err != nil {
			return out, err
		}
		out += a + " " + id + " " + d + "\n"
	}
	return out, rows.Err()
}
