// Package auditlog is `modeltender audit`: it checks the audit trail's hash
// chains (internal/store keeps them) and re-runs recorded evaluation
// decisions from what was stored, for an auditor or a cron job. It lives
// outside cmd/modeltender so its tests do not link the web server and the
// worker.
package auditlog

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/modeltender/modeltender/internal/config"
	"github.com/modeltender/modeltender/internal/devstack/pgcluster"
	"github.com/modeltender/modeltender/internal/store"
)

const usage = "usage: modeltender audit verify [--solicitation ID [--head SEQ:HASH]...] [--json] | audit replay [--json] DECISION"

// ExitError carries the status the command exits with: 1 when a chain is
// broken, 2 when the trail could not be read or the command line is wrong.
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string { return e.Err.Error() }
func (e *ExitError) Unwrap() error { return e.Err }

// ExitCode is the process exit status for this error.
func (e *ExitError) ExitCode() int { return e.Code }

func cannot(err error) error { return &ExitError{Code: 2, Err: err} }

// Run runs `modeltender audit ARGS`. verify walks one solicitation's chain
// (--solicitation) or every chain, prints one line per chain (or JSON with
// --json) and returns nil when all are intact. replay re-runs one recorded
// decision (see runReplay).
func Run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "replay" {
		return runReplay(ctx, args[1:], getenv, stdout, stderr)
	}
	if len(args) == 0 || args[0] != "verify" {
		return cannot(errors.New(usage))
	}
	fs := flag.NewFlagSet("audit verify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	solicitation := fs.String("solicitation", "", "verify this solicitation's chain only (default: every chain)")
	var anchors []store.ChainHead
	fs.Func("head", "SEQ:HASH a head published earlier (in the solicitation's notice) that the chain must still hold; repeatable",
		func(v string) error {
			h, err := parseHead(v)
			if err == nil {
				anchors = append(anchors, h)
			}
			return err
		})
	asJSON := fs.Bool("json", false, "print the chains' statuses as JSON")
	if err := fs.Parse(args[1:]); err != nil {
		return cannot(fmt.Errorf("%w (%s)", err, usage))
	}
	if fs.NArg() > 0 {
		return cannot(fmt.Errorf("unexpected argument %q (%s)", fs.Arg(0), usage))
	}
	if len(anchors) > 0 && *solicitation == "" {
		return cannot(errors.New("--head needs --solicitation: a published head belongs to one solicitation's chain"))
	}

	st, err := openStore(ctx, getenv)
	if err != nil {
		return cannot(err)
	}
	defer st.Close()

	var statuses []store.ChainStatus
	if *solicitation != "" {
		s, err := st.VerifyAuditChain(ctx, *solicitation, anchors...)
		statuses = append(statuses, s)
		if err != nil {
			return cannot(unreadable(err))
		}
	} else if statuses, err = st.VerifyAuditChains(ctx); err != nil {
		return cannot(unreadable(err))
	}

	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(statuses); err != nil {
			return cannot(err)
		}
	} else {
		for _, s := range statuses {
			fmt.Fprintln(stdout, s)
		}
	}
	var rows int64
	for _, s := range statuses {
		rows += s.Rows
		if !s.Intact {
			return &ExitError{Code: 1, Err: fmt.Errorf("audit trail tampered with: %s", s)}
		}
	}
	if !*asJSON {
		fmt.Fprintf(stdout, "%d chains, %d rows: intact\n", len(statuses), rows)
	}
	return nil
}

// databaseURL is DATABASE_URL, or the dev cluster's when it is unset, as for
// the other commands.
// openStore opens the database DATABASE_URL names, saying what to check
// when it cannot.
func openStore(ctx context.Context, getenv func(string) string) (*store.Store, error) {
	url, err := databaseURL(getenv)
	if err != nil {
		return nil, err
	}
	st, err := store.Open(ctx, url)
	if err != nil {
		return nil, fmt.Errorf("%w; check DATABASE_URL and that PostgreSQL is running", err)
	}
	return st, nil
}

func databaseURL(getenv func(string) string) (string, error) {
	cfg, err := config.FromEnv(getenv)
	if err != nil {
		return "", err
	}
	if cfg.DatabaseURL != "" {
		return cfg.DatabaseURL, nil
	}
	return pgcluster.Discover(cfg.PostgresDir())
}

// unreadable says what to do about a failure to read the trail: a database
// without the chain tables has not been migrated.
func unreadable(err error) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && (pgErr.Code == "42P01" || pgErr.Code == "42703") {
		return fmt.Errorf("%w; this database has no audit chain yet: run `modeltender migrate`", err)
	}
	return fmt.Errorf("%w; check DATABASE_URL and that its user may read audit_events and audit_chain_heads", err)
}

var hexHash = regexp.MustCompile(`^[0-9a-f]{64}$`)

// parseHead reads SEQ:HASH as a published head is written.
func parseHead(v string) (store.ChainHead, error) {
	seqText, hash, ok := strings.Cut(v, ":")
	seq, err := strconv.ParseInt(seqText, 10, 64)
	if !ok || err != nil || seq < 0 || !hexHash.MatchString(hash) {
		return store.ChainHead{}, fmt.Errorf("head %q is not SEQ:HASH (a row number and a 64-digit lowercase hex SHA-256)", v)
	}
	return store.ChainHead{Seq: seq, Hash: hash}, nil
}
