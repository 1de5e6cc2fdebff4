package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Token is a short-lived secret that every process sharing the store must
// honour: a reviewer page session or an in-client confirmation state. The
// store keeps what the caller gives it; callers store a hash of the secret as
// ID, so that the database never holds a live credential.
type Token struct {
	// Kind separates the uses ("review_session", "confirm_state", …).
	Kind string
	// ID names the token within its kind.
	ID string
	// Binding is who may take the token (TakeToken); "" for none. Text
	// without NUL bytes, as every other field.
	Binding string
	// Value is what the token stands for, opaque to the store.
	Value string
	// ExpiresAt is when the token stops being returned.
	ExpiresAt time.Time
}

// Errors of the token methods.
var (
	// ErrTokenNotFound: no such token, or it expired.
	ErrTokenNotFound = errors.New("token unknown or expired")
	// ErrTokenBound: the token is bound to someone else; it stays for them.
	ErrTokenBound = errors.New("token bound to another holder")
)

// PutToken stores tok (replacing a token of the same kind and id) and drops
// the tokens that expired before now.
func (s *SQLite) PutToken(ctx context.Context, tok Token, now time.Time) error {
	err := s.writer.do(ctx, func(ctx context.Context, tx *wtx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM shared_tokens WHERE expires_at <= ?`, encTime(now)); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT OR REPLACE INTO shared_tokens (kind, id, binding, value, expires_at)
			VALUES (?, ?, ?, ?, ?)`, tok.Kind, tok.ID, tok.Binding, tok.Value, encTime(tok.ExpiresAt))
		return err
	})
	if err != nil {
		return fmt.Errorf("store token %s: %w", tok.Kind, err)
	}
	return nil
}

// GetToken returns the token of kind and id that is live at now, or
// ErrTokenNotFound.
func (s *SQLite) GetToken(ctx context.Context, kind, id string, now time.Time) (Token, error) {
	tok := Token{Kind: kind, ID: id}
	var exp int64
	err := s.rdb.QueryRowContext(ctx, `SELECT binding, value, expires_at FROM shared_tokens
		WHERE kind = ? AND id = ? AND expires_at > ?`, kind, id, encTime(now)).Scan(&tok.Binding, &tok.Value, &exp)
	if errors.Is(err, sql.ErrNoRows) {
		return Token{}, ErrTokenNotFound
	}
	if err != nil {
		return Token{}, fmt.Errorf("store token %s: %w", kind, err)
	}
	tok.ExpiresAt = decTime(exp)
	return tok, nil
}

// TakeToken removes and returns the token of kind and id when binding is
// its binding: once, across every process. A token bound to another is left
// in place (ErrTokenBound); an unknown one is ErrTokenNotFound. An expired
// token is removed and returned: the caller tells the person it expired.
func (s *SQLite) TakeToken(ctx context.Context, kind, id, binding string) (Token, error) {
	var tok Token
	err := s.writer.do(ctx, func(ctx context.Context, tx *wtx) error {
		tok = Token{Kind: kind, ID: id}
		var exp int64
		err := tx.QueryRowContext(ctx, `SELECT binding, value, expires_at FROM shared_tokens WHERE kind = ? AND id = ?`,
			kind, id).Scan(&tok.Binding, &tok.Value, &exp)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrTokenNotFound
		}
		if err != nil {
			return err
		}
		if tok.Binding != binding {
			return ErrTokenBound
		}
		tok.ExpiresAt = decTime(exp)
		_, err = tx.ExecContext(ctx, `DELETE FROM shared_tokens WHERE kind = ? AND id = ?`, kind, id)
		return err
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
func (s *SQLite) DeleteToken(ctx context.Context, kind, id string) error {
	err := s.writer.do(ctx, func(ctx context.Context, tx *wtx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM shared_tokens WHERE kind = ? AND id = ?`, kind, id)
		return err
	})
	if err != nil {
		return fmt.Errorf("store token %s: %w", kind, err)
	}
	return nil
}
