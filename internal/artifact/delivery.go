package artifact

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/modeltender/modeltender/internal/domain"
)

// Delivery is a delivered model (its digest list) compared with what an
// award pins: it matches when every pinned file is there with its digest
// and nothing else is.
type Delivery struct {
	Matches bool          `json:"matches"`
	Pinned  int           `json:"pinned"` // files the award pins (1 when it pins only the weights digest)
	Changed []ChangedFile `json:"changed,omitempty"`
	Missing []string      `json:"missing,omitempty"`
	Extra   []string      `json:"extra,omitempty"`
}

// ErrNothingPinned marks an award whose manifest declared neither weight
// files nor a weights digest, so no delivery can be checked against it.
var ErrNothingPinned = errors.New("the award pins no weights digest and no weight files")

// weightsEntry names the pinned weights digest among the missing when the
// award pins no file list.
const weightsEntry = "(the weights, %s)"

// CompareDelivery compares delivered digests (slash path -> SHA-256 hex, as
// DigestDir lists them) with pin. When the pin lists files they must match
// exactly; when it holds only the weights digest, one delivered file must
// have it and the others are not judged.
func CompareDelivery(pin domain.AwardPin, delivered map[string]string) (Delivery, error) {
	if len(delivered) > MaxResources {
		return Delivery{}, fmt.Errorf("the digest list holds %d files, more than %d", len(delivered), MaxResources)
	}
	got := make(map[string]string, len(delivered))
	for p, d := range delivered {
		name, err := cleanRelative(p)
		if err != nil {
			return Delivery{}, fmt.Errorf("digest list: %q: %w", clip(p), err)
		}
		raw, err := hex.DecodeString(d)
		if err != nil || len(raw) != 32 {
			return Delivery{}, fmt.Errorf("digest list: %q: %q is not a SHA-256 digest in hex", clip(p), clip(d))
		}
		if _, dup := got[name]; dup {
			return Delivery{}, fmt.Errorf("digest list: %q is listed twice", clip(name))
		}
		got[name] = hex.EncodeToString(raw)
	}
	var d Delivery
	switch {
	case len(pin.Files) > 0:
		d.Pinned = len(pin.Files)
		for name, want := range pin.Files {
			have, ok := got[name]
			switch {
			case !ok:
				d.Missing = append(d.Missing, name)
			case have != want:
				d.Changed = append(d.Changed, ChangedFile{Path: name, Expected: want, Actual: have})
			}
		}
		for name := range got {
			if _, ok := pin.Files[name]; !ok {
				d.Extra = append(d.Extra, name)
			}
		}
	case pin.WeightsDigest != "":
		d.Pinned = 1
		want := strings.TrimPrefix(pin.WeightsDigest, "sha256:")
		found := false
		for _, have := range got {
			found = found || have == want
		}
		if !found {
			d.Missing = append(d.Missing, fmt.Sprintf(weightsEntry, pin.WeightsDigest))
		}
	default:
		return Delivery{}, ErrNothingPinned
	}
	sort.Slice(d.Changed, func(i, j int) bool { return d.Changed[i].Path < d.Changed[j].Path })
	sort.Strings(d.Missing)
	sort.Strings(d.Extra)
	d.Matches = len(d.Changed) == 0 && len(d.Missing) == 0 && len(d.Extra) == 0
	return d, nil
}

// Problems lists, one line each, every way the delivery differs from the award.
func (d Delivery) Problems() []string {
	var out []string
	for _, c := range d.Changed {
		out = append(out, fmt.Sprintf("changed: %s (awarded %s, delivered %s)", c.Path, c.Expected, c.Actual))
	}
	for _, p := range d.Missing {
		out = append(out, "missing: "+p)
	}
	for _, p := range d.Extra {
		out = append(out, "extra (not awarded): "+p)
	}
	return out
}

// Pins reads what an award pins, for `artifact verify --award`.
type Pins func(ctx context.Context, awardID string) (domain.AwardPin, error)

// verifyAward is `artifact verify --award ID MODEL_DIR`: the directory's
// digests against the award's pin, and, when trust was given, its signature
// too. Exit 0 when both hold, 1 naming every changed, missing or extra file
// (or the signature's problems), 2 when the award or directory cannot be read.
func verifyAward(ctx context.Context, pins Pins, awardID, dir string, ignore []string, sig *signatureCheck, asJSON bool, stdout io.Writer) error {
	if pins == nil {
		return unreadable("--award needs the database: run modeltender with DATABASE_URL set, or next to `modeltender dev`")
	}
	pin, err := pins(ctx, awardID)
	if err != nil {
		return unreadable("award %s: %v", awardID, err)
	}
	digests, err := DigestDir(ctx, dir, append(ignore, "model.sig"))
	if err != nil {
		return unreadable("%v", err)
	}
	d, err := CompareDelivery(pin, digests)
	if err != nil {
		return unreadable("award %s: %v", awardID, err)
	}
	out := struct {
		AwardID   string `json:"award_id"`
		Delivery  `json:"delivery"`
		Signature *Result `json:"signature,omitempty"`
	}{AwardID: awardID, Delivery: d}
	if sig != nil {
		res, err := VerifyDir(ctx, dir, sig.bundle, sig.trust, sig.opts)
		if err != nil {
			return unreadable("%s: %v", sig.file, err)
		}
		out.Signature = &res
	}
	if asJSON {
		if err := writeJSON(stdout, out); err != nil {
			return err
		}
	} else {
		if d.Matches {
			fmt.Fprintf(stdout, "delivered: %s matches award %s (%d pinned)\n", dir, awardID, d.Pinned)
		} else {
			fmt.Fprintf(stdout, "NOT the awarded model: %s against award %s\n", dir, awardID)
		}
		for _, p := range d.Problems() {
			fmt.Fprintln(stdout, "  "+p)
		}
		if out.Signature != nil {
			printResult(stdout, dir, sig.file, *out.Signature)
		}
	}
	switch {
	case !d.Matches:
		return &ExitError{Code: 1, Err: fmt.Errorf("model %s is not what award %s pins: %d changed, %d missing, %d extra", dir, awardID, len(d.Changed), len(d.Missing), len(d.Extra))}
	case out.Signature != nil && !out.Signature.Verified:
		return &ExitError{Code: 1, Err: fmt.Errorf("model %s matches award %s, but its signature is not verified: %s", dir, awardID, out.Signature.summary())}
	}
	return nil
}

// signatureCheck is a signature to verify beside the award's digests.
type signatureCheck struct {
	file   string
	bundle []byte
	trust  Trust
	opts   Options
}
