package tender

import (
	"context"
	"time"

	"github.com/modeltender/modeltender/internal/store"
)

// Files a refused bid or revise form kept for the retry: the browser cannot
// put a file back into a file input, so the server holds it for the session
// under a random token the form carries, for HeldUploadTTL.

// HeldUploadTTL is how long a refused form's files are kept.
const HeldUploadTTL = time.Hour

// HeldFile is one file a refused form kept.
type HeldFile = store.HeldUpload

// HoldUploads keeps a refused form's files for the session's retry, in
// place of what the form held before.
func (s *Service) HoldUploads(ctx context.Context, sessionToken, token string, files []HeldFile) error {
	return s.Store.HoldUploads(ctx, sessionToken, token, files, s.Now(), HeldUploadTTL)
}

// HeldUploads are the files the session's form holds, while they last.
func (s *Service) HeldUploads(ctx context.Context, sessionToken, token string) ([]HeldFile, error) {
	return s.Store.HeldUploads(ctx, sessionToken, token, s.Now())
}

// ReleaseUploads drops a form's held files once it succeeded.
func (s *Service) ReleaseUploads(ctx context.Context, sessionToken, token string) error {
	return s.Store.ReleaseUploads(ctx, sessionToken, token)
}
