package store

import (
	"context"
	"io"
	"testing"

	"github.com/modeltender/modeltender/internal/devstack/pgtest"
)

func TestMain(m *testing.M) {
	pgtest.Main(m, func(ctx context.Context, url string) error { return Migrate(ctx, url, io.Discard) })
}
