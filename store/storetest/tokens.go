package storetest

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webhook-mcp/webhook-mcp/store"
)

var tokenTests = []test{
	{"TokensAreSharedByReplicasAndRestarts", testTokensShared},
	{"TokenTakenOnceAcrossReplicas", testTokenTakenOnce},
}

// testTokensShared: a token put by one replica is read by the other and by a
// reopened store; it expires; a bound token is taken only by its binding;
// delete removes it everywhere.
func testTokensShared(t *testing.T, url string) {
	ctx := context.Background()
	r := replicas(t, url)
	exp := t0.Add(10 * time.Minute)
	require.NoError(t, r[0].PutToken(ctx, store.Token{Kind: "session", ID: "h1", Value: `{"csrf":"x"}`, ExpiresAt: exp}, t0))
	require.NoError(t, r[0].PutToken(ctx, store.Token{Kind: "state", ID: "h1", Binding: "alice|s1", Value: "ap-1", ExpiresAt: exp}, t0))

	got, err := r[1].GetToken(ctx, "session", "h1", t0.Add(time.Minute))
	require.NoError(t, err, "the other replica sees the session")
	assert.Equal(t, store.Token{Kind: "session", ID: "h1", Value: `{"csrf":"x"}`, ExpiresAt: exp}, got)
	_, err = r[1].GetToken(ctx, "session", "h1", exp)
	require.ErrorIs(t, err, store.ErrTokenNotFound, "expired at its time")
	_, err = r[1].GetToken(ctx, "session", "h2", t0)
	require.ErrorIs(t, err, store.ErrTokenNotFound)

	// A restart keeps it.
	require.NoError(t, r[0].Close())
	again := open(t, url)
	_, err = again.GetToken(ctx, "session", "h1", t0)
	require.NoError(t, err, "a reopened store still has the session")

	_, err = r[1].TakeToken(ctx, "state", "h1", "mallory|s2")
	require.ErrorIs(t, err, store.ErrTokenBound, "another binding cannot take it")
	took, err := again.TakeToken(ctx, "state", "h1", "alice|s1")
	require.NoError(t, err, "the owner takes it, on any replica")
	assert.Equal(t, "ap-1", took.Value)
	assert.Equal(t, exp, took.ExpiresAt.UTC())
	_, err = r[1].TakeToken(ctx, "state", "h1", "alice|s1")
	require.ErrorIs(t, err, store.ErrTokenNotFound, "single use")

	require.NoError(t, r[1].DeleteToken(ctx, "session", "h1"))
	_, err = again.GetToken(ctx, "session", "h1", t0)
	require.ErrorIs(t, err, store.ErrTokenNotFound, "deleted for every replica")
	require.NoError(t, again.DeleteToken(ctx, "session", "h1"), "deleting again is no error")

	// Putting drops what expired.
	require.NoError(t, again.PutToken(ctx, store.Token{Kind: "state", ID: "old", ExpiresAt: t0.Add(time.Second)}, t0))
	require.NoError(t, again.PutToken(ctx, store.Token{Kind: "state", ID: "new", ExpiresAt: exp}, t0.Add(time.Minute)))
	_, err = again.TakeToken(ctx, "state", "old", "")
	require.ErrorIs(t, err, store.ErrTokenNotFound, "an expired token is purged by the next put")
}

// testTokenTakenOnce: many takers of one token on two replicas at once: one
// gets it.
func testTokenTakenOnce(t *testing.T, url string) {
	ctx := context.Background()
	r := replicas(t, url)
	const tokens, takers = 5, 8
	for i := range tokens {
		require.NoError(t, r[0].PutToken(ctx, store.Token{Kind: "state", ID: fmt.Sprint(i), Binding: "b",
			ExpiresAt: t0.Add(time.Hour)}, t0))
	}
	var won [tokens]atomic.Int32
	var wg sync.WaitGroup
	for i := range tokens * takers {
		wg.Go(func() {
			_, err := r[i%2].TakeToken(ctx, "state", fmt.Sprint(i%tokens), "b")
			if err == nil {
				won[i%tokens].Add(1)
				return
			}
			assert.ErrorIs(t, err, store.ErrTokenNotFound)
		})
	}
	wg.Wait()
	for i := range tokens {
		assert.EqualValues(t, 1, won[i].Load(), "token %d taken once", i)
	}
}
