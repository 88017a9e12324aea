package main

import (
	"context"
	"fmt"

	"github.com/modeltender/modeltender/internal/artifact"
	"github.com/modeltender/modeltender/internal/config"
	"github.com/modeltender/modeltender/internal/domain"
	"github.com/modeltender/modeltender/internal/store"
)

// awardPins reads an award's pin from the database the other commands use
// (DATABASE_URL, else the dev stack's), for `artifact verify --award`; it
// connects only when asked.
func awardPins(cfg config.Config) artifact.Pins {
	return func(ctx context.Context, awardID string) (domain.AwardPin, error) {
		if err := resolveDatabase(&cfg); err != nil {
			return domain.AwardPin{}, err
		}
		st, err := store.Open(ctx, cfg.DatabaseURL)
		if err != nil {
			return domain.AwardPin{}, fmt.Errorf("%w; check DATABASE_URL and that PostgreSQL is running", err)
		}
		defer st.Close()
		a, err := st.Award(ctx, awardID)
		if err != nil {
			return domain.AwardPin{}, err
		}
		if a.Pin == nil {
			return domain.AwardPin{}, fmt.Errorf("award %s has no pin: run `modeltender migrate`", awardID)
		}
		return *a.Pin, nil
	}
}
