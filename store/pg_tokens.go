package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// PutToken stores tok (replacing a token of the same kind and id) and drops
// the tokens that expired before now.
func (p *Postgres) PutToken(ctx context.Context, tok Token, now time.Time) error {
	err := p.write(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM shared_tokens WHERE expires_at <= $1`, encTime(now)); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO shared_tokens (kind, id, binding, value, expires_at)
			VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (kind, id) DO UPDATE SET binding = excluded.binding, value = excluded.value,
				expires_at = excluded.expires_at`, tok.Kind, tok.ID, tok.Binding, tok.Value, encTime(tok.ExpiresAt))
		return err
	})
	if err != nil {
		return fmt.Errorf("store token %s: %w", tok.Kind, err)
	}
	return nil
}

// GetToken returns the token of kind and id that is live at now, or
// ErrTokenNotFound.
func (p *Postgres) GetToken(ctx context.Context, kind, id string, now time.Time) (Token, error) {
	if p.closed.Load() {
		return Token{}, ErrClosed
	}
	tok := Token{Kind: kind, ID: id}
	var exp int64
	err := p.pool.QueryRow(ctx, `SELECT binding, value, expires_at FROM shared_tokens
		WHERE kind = $1 AND id = $2 AND expires_at > $3`, kind, id, encTime(now)).Scan(&tok.Binding, &tok.Value, &exp)
	if errors.Is(err, pgx.ErrNoRows) {
		return Token{}, ErrTokenNotFound
	}
	if err != nil {
		return Token{}, fmt.Errorf("store token %s: %w", kind, err)
	}
	tok.ExpiresAt = decTime(exp)
	return tok, nil
}

// TakeToken removes and returns the token of kind and id when binding is its
// binding: once, across every replica (the row lock serializes two takers;
// the second finds it gone). A token bound to another is left in place
// (ErrTokenBound); an unknown one is ErrTokenNotFound. An expired token is
// removed and returned: the caller tells the person it expired.
func (p *Postgres) TakeToken(ctx context.Context, kind, id, binding string) (Token, error) {
	var tok Token
	err := p.write(ctx, func(tx pgx.Tx) error {
		tok = Token{Kind: kind, ID: id}
		var exp int64
		err := tx.QueryRow(ctx, `DELETE FROM shared_tokens WHERE kind = $1 AND id = $2 AND binding = $3
			RETURNING value, expires_at`, kind, id, binding).Scan(&tok.Value, &exp)
		if errors.Is(err, pgx.ErrNoRows) {
			var n int
			if err := tx.QueryRow(ctx, `SELECT count(*) FROM shared_tokens WHERE kind = $1 AND id = $2`,
				kind, id).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return ErrTokenBound
			}
			return ErrTokenNotFound
		}
		if err != nil {
			return err
		}
		tok.Binding, tok.ExpiresAt = binding, decTime(exp)
		return nil
	})
	if errors.Is(err, ErrTokenNotFound) || errors.Is(err, ErrTokenBound) {
		return Token{}, err
	}
	if err != nil {
		return Token{}, fmt.Errorf("store token %s: %w", kind, err)
	}
	return tok, nil
}

// DeleteToken removes the token of kind and id; an unknown one is no error.
func (p *Postgres) DeleteToken(ctx context.Context, kind, id string) error {
	err := p.write(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `DELETE FROM shared_tokens WHERE kind = $1 AND id = $2`, kind, id)
		return err
	})
	if err != nil {
		return fmt.Errorf("store token %s: %w", kind, err)
	}
	return nil
}
