package api

import (
	"go/ast"
	"go/parser"
	"go/token"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// declaredCodes parses codes.go for the values of its Code* constants, so a
// code added to the const block without a table row fails the test below.
func declaredCodes(t *testing.T) []string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "codes.go", nil, 0)
	require.NoError(t, err)
	var codes []string
	for _, d := range f.Decls {
		gd, ok := d.(*ast.GenDecl)
		if !ok || gd.Tok != token.CONST {
			continue
		}
		for _, spec := range gd.Specs {
			vs := spec.(*ast.ValueSpec)
			for i, name := range vs.Names {
				if !strings.HasPrefix(name.Name, "Code") {
					continue
				}
				lit, ok := vs.Values[i].(*ast.BasicLit)
				require.True(t, ok, "%s is not a string literal", name.Name)
				v, err := strconv.Unquote(lit.Value)
				require.NoError(t, err)
				codes = append(codes, v)
			}
		}
	}
	return codes
}

func TestEveryCodeHasOneRow(t *testing.T) {
	t.Parallel()
	declared := declaredCodes(t)
	require.NotEmpty(t, declared, "no Code constants found in codes.go")
	var inTable []string
	for _, c := range Codes() {
		inTable = append(inTable, c.Code)
	}
	assert.ElementsMatch(t, declared, inTable, "every code constant has exactly one table row")
	for _, c := range Codes() {
		assert.NotEmpty(t, http.StatusText(c.Status), c.Code)
		assert.GreaterOrEqual(t, c.Status, 400, c.Code)
		assert.NotEmpty(t, c.Message, c.Code)
		if c.User {
			assert.Less(t, c.Status, 500, "%s: a user error is a 4xx", c.Code)
		}
	}
}

func TestTable(t *testing.T) {
	t.Parallel()
	cases := []struct {
		code   string
		status int
		user   bool
	}{
		{CodeInvalidPayload, 400, true},
		{CodeMissingFields, 400, true},
		{CodeInvalidArgument, 400, true},
		{CodeInvalidSignature, 401, true},
		{CodeUnauthorized, 401, true},
		{CodeForbidden, 403, true},
		{CodeNotFound, 404, true},
		{CodeUnknownRoute, 404, true},
		{CodeUnknownAction, 404, true},
		{CodeMethodNotAllowed, 405, true},
		{CodeTimeout, 408, false},
		{CodeConflict, 409, true},
		{CodeInProgress, 409, true},
		{CodePayloadTooLarge, 413, true},
		{CodeUnsupportedMedia, 415, true},
		{CodeIdempotencyKeyReused, 422, true},
		{CodeRateLimited, 429, true},
		{CodeProcessingError, 500, false},
		{CodeShuttingDown, 503, false},
		{CodeStoreUnavailable, 503, false},
		{CodeAbandoned, 500, false},
		{"no_such_code", 500, false},
	}
	for _, tc := range cases {
		assert.Equal(t, tc.status, Status(tc.code), tc.code)
		assert.Equal(t, tc.user, IsUserError(tc.code), tc.code)
	}
	assert.Equal(t, "the store cannot commit; retry", Message(CodeStoreUnavailable))
	assert.Equal(t, Message(CodeProcessingError), Message("no_such_code"))
}

func TestCodeForStatusIsTheTableInReverse(t *testing.T) {
	t.Parallel()
	for status, want := range map[int]string{400: CodeInvalidPayload, 401: CodeUnauthorized, 404: CodeNotFound,
		408: CodeTimeout, 409: CodeConflict, 422: CodeIdempotencyKeyReused, 429: CodeRateLimited,
		503: CodeShuttingDown, 500: CodeProcessingError, 502: CodeProcessingError, 418: CodeProcessingError} {
		assert.Equal(t, want, CodeForStatus(status), status)
	}
	for _, c := range Codes() {
		assert.Equal(t, c.Status, Status(CodeForStatus(c.Status)), "the reverse keeps the status of %s", c.Code)
	}
}

func TestDecodeError(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		status int
		body   string
		want   Error
	}{
		{"envelope", 404, `{"status":"error","error":{"code":"not_found","message":"no approval with id nope"}}`,
			Error{Code: CodeNotFound, Message: "no approval with id nope"}},
		{"envelope code wins over status", 404, `{"status":"error","error":{"code":"unknown_route","message":"x"}}`,
			Error{Code: CodeUnknownRoute, Message: "x"}},
		{"envelope with fields", 400, `{"webhook_id":"w","status":"error","error":{"code":"missing_fields","message":"m","fields":["client_id"]}}`,
			Error{Code: CodeMissingFields, Message: "m", Fields: []string{"client_id"}}},
		{"proxy text 409", 409, "conflict at the proxy\n", Error{Code: CodeConflict, Message: "conflict at the proxy"}},
		{"proxy html 401", 401, "<html>401</html>", Error{Code: CodeUnauthorized, Message: "<html>401</html>"}},
		{"empty 404", 404, "", Error{Code: CodeNotFound, Message: "Not Found"}},
		{"JSON without error object", 502, `{"status":"bad gateway"}`, Error{Code: CodeProcessingError, Message: `{"status":"bad gateway"}`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, &tc.want, DecodeError(tc.status, []byte(tc.body)))
		})
	}
	long := DecodeError(500, []byte(strings.Repeat("é", 300)))
	assert.LessOrEqual(t, len(long.Message), maxFallbackMessage+len("…"))
	assert.True(t, strings.HasSuffix(long.Message, "…"))
}

func TestErrorText(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "missing_fields: required fields are missing (fields: client_id, task.id)",
		(&Error{Code: CodeMissingFields, Message: "required fields are missing", Fields: []string{"client_id", "task.id"}}).Error())
	assert.Equal(t, "conflict: approval a is delivered", Errorf(CodeConflict, "approval %s is %s", "a", "delivered").Error())
}
