package ocds

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/gowebpki/jcs"

	"github.com/modeltender/modeltender/internal/domain"
)

// Codes of the provenance documents (documentType codelist): what an award
// binds is documentation of the winning bid, and the audit trail's head is
// part of the record of the evaluation.
const (
	documentWinningBid        = "winningBid"
	documentEvaluationReports = "evaluationReports"
)

// ChainHead is the last row of the solicitation's audit hash chain when the
// notice is published: its sequence number and hash.
type ChainHead struct {
	Seq  int64
	Hash string
}

// chainHeadDocument publishes the audit trail's head, so an outsider who
// keeps the notice can later check that the record still holds it.
func chainHeadDocument(s domain.Solicitation, h ChainHead, publishedAt string) Document {
	return Document{
		ID:           "audit-chain-head",
		DocumentType: documentEvaluationReports,
		Title:        fmt.Sprintf("Audit trail head: row %d, SHA-256 %s", h.Seq, h.Hash),
		Description: fmt.Sprintf("Every action on this procurement is a row of a hash chain (SHA-256 over the RFC 8785 canonical JSON "+
			"of the row and the previous row's hash). When this notice was published the chain's last row was row %d with hash %s. "+
			"Whoever keeps this notice can check that the record still contains that row, unchanged and with nothing removed before it: "+
			"modeltender audit verify --solicitation %s --head %d:%s", h.Seq, h.Hash, s.ID, h.Seq, h.Hash),
		DatePublished: publishedAt,
	}
}

// pinDocument publishes what an award binds the supplier to deliver: the
// digest of the evaluated model description, the weights digest and the
// digest of the weights' file list, without the list itself.
func pinDocument(a Award) (Document, error) {
	p := a.Pin
	desc := "The award binds the supplier to deliver the model that was evaluated. The evaluated model description has digest " + p.ManifestHash + "."
	if p.WeightsDigest != "" {
		desc += " The weights have digest " + p.WeightsDigest + "."
	}
	if len(p.Files) > 0 {
		list, err := fileListDigest(p.Files)
		if err != nil {
			return Document{}, err
		}
		desc += " The weights are " + strconv.Itoa(len(p.Files)) + " files whose digest list (path to SHA-256, as " +
			"`modeltender artifact digest` prints it, in RFC 8785 canonical JSON) has SHA-256 " + list + "."
	}
	desc += " A delivery is checked against them with: modeltender artifact verify --award " + a.ID + " MODEL_DIR"
	return Document{ID: "award-pin-" + a.ID, DocumentType: documentWinningBid, Title: "What award " + a.ID + " binds", Description: desc}, nil
}

// fileListDigest is the hex SHA-256 of a digest list in RFC 8785 form.
func fileListDigest(files map[string]string) (string, error) {
	b, err := json.Marshal(files)
	if err == nil {
		b, err = jcs.Transform(b)
	}
	if err != nil {
		return "", fmt.Errorf("digest the pinned file list: %w", err)
	}
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:]), nil
}
