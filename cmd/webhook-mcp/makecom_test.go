package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// makeSHA256 is Make's sha256(text; [encoding]; [key]; [keyEncoding]): the
// SHA-256 of text, an HMAC-SHA256 when a key is given; encoding hex (the
// default) or base64; keyEncoding text (the default) or base64.
func makeSHA256(args []string) (string, error) {
	if len(args) < 1 || len(args) > 4 {
		return "", fmt.Errorf("sha256 takes 1 to 4 arguments, got %d", len(args))
	}
	for len(args) < 4 {
		args = append(args, "")
	}
	text, encoding, key, keyEncoding := args[0], args[1], args[2], args[3]
	var sum []byte
	if key == "" {
		s := sha256.Sum256([]byte(text))
		sum = s[:]
	} else {
		k := []byte(key)
		switch keyEncoding {
		case "", "text":
		case "base64":
			var err error
			if k, err = base64.StdEncoding.DecodeString(key); err != nil {
				return "", fmt.Errorf("sha256 key is not base64: %w", err)
			}
		default:
			return "", fmt.Errorf("sha256 key encoding %q not modelled", keyEncoding)
		}
		mac := hmac.New(sha256.New, k)
		mac.Write([]byte(text))
		sum = mac.Sum(nil)
	}
	switch encoding {
	case "", "hex":
		return hex.EncodeToString(sum), nil
	case "base64":
		return base64.StdEncoding.EncodeToString(sum), nil
	}
	return "", fmt.Errorf("sha256 encoding %q not modelled", encoding)
}

// makeToken is one token of a Make formula.
var makeToken = regexp.MustCompile(`\s*("[^"]*"|[A-Za-z_][A-Za-z0-9_]*|[();+])`)

// makeEval evaluates the formulas of a Make mapping ("sha256={{sha256(body;
// "hex"; "<secret>")}}"): the {{…}} parts with variables, string literals,
// + and the functions sha256, formatDate(now; "X") and uuid. Placeholders
// such as <secret> inside literals are replaced from vars too.
func makeEval(mapping string, vars map[string]string) (string, error) {
	var evalErr error
	out := regexp.MustCompile(`\{\{(.*?)\}\}`).ReplaceAllStringFunc(mapping, func(m string) string {
		toks := makeToken.FindAllStringSubmatch(m[2:len(m)-2], -1)
		p := &makeParser{vars: vars}
		for _, t := range toks {
			p.toks = append(p.toks, t[1])
		}
		v, err := p.expr()
		if err == nil && p.pos != len(p.toks) {
			err = fmt.Errorf("unexpected %q", p.toks[p.pos])
		}
		if err != nil && evalErr == nil {
			evalErr = fmt.Errorf("formula %s: %w", m, err)
		}
		return v
	})
	return out, evalErr
}

type makeParser struct {
	toks []string
	pos  int
	vars map[string]string
}

func (p *makeParser) next() string {
	if p.pos >= len(p.toks) {
		return ""
	}
	p.pos++
	return p.toks[p.pos-1]
}

func (p *makeParser) peek() string {
	if p.pos >= len(p.toks) {
		return ""
	}
	return p.toks[p.pos]
}

// expr := term ("+" term)*
func (p *makeParser) expr() (string, error) {
	s, err := p.term()
	for err == nil && p.peek() == "+" {
		p.next()
		var t string
		t, err = p.term()
		s += t
	}
	return s, err
}

// term := "literal" | name | name "(" expr (";" expr)* ")"
func (p *makeParser) term() (string, error) {
	t := p.next()
	switch {
	case strings.HasPrefix(t, `"`):
		lit := strings.Trim(t, `"`)
		for k, v := range p.vars {
			if strings.HasPrefix(k, "<") {
				lit = strings.ReplaceAll(lit, k, v)
			}
		}
		return lit, nil
	case p.peek() == "(":
		p.next()
		var args []string
		for {
			a, err := p.expr()
			if err != nil {
				return "", err
			}
			args = append(args, a)
			if sep := p.next(); sep == ")" {
				break
			} else if sep != ";" {
				return "", fmt.Errorf("want ; or ), got %q", sep)
			}
		}
		switch t {
		case "sha256":
			return makeSHA256(args)
		case "formatDate":
			if len(args) != 2 || args[1] != "X" {
				return "", fmt.Errorf("formatDate%v not modelled", args)
			}
			return args[0], nil // now is already Unix seconds
		}
		return "", fmt.Errorf("function %s not modelled", t)
	case t == "uuid":
		return uuid.NewString(), nil
	}
	v, ok := p.vars[t]
	if !ok {
		return "", fmt.Errorf("unknown variable %q", t)
	}
	return v, nil
}

// makeRecipes are the mappings docs/make-com.md tells a Make user to enter.
type makeRecipes struct {
	headers map[string]string // header name → mapping, e.g. webhook-id → {{msgid}}
	msgid   string            // the mapping of the msgid variable for a new event each run
	ts      string            // the mapping of the ts variable
	whsec   string            // the signature formula for a whsec_ secret
}

func readMakeRecipes(t *testing.T) makeRecipes {
	t.Helper()
	b, err := os.ReadFile("../../docs/make-com.md")
	require.NoError(t, err)
	doc := string(b)
	r := makeRecipes{headers: map[string]string{}}
	for _, m := range regexp.MustCompile("`([A-Za-z-]+): ([^`]*\\{\\{[^`]+)`").FindAllStringSubmatch(doc, -1) {
		r.headers[m[1]] = m[2]
	}
	if m := regexp.MustCompile("or `(\\{\\{uuid\\}\\})` when every run").FindStringSubmatch(doc); m != nil {
		r.msgid = m[1]
	}
	if m := regexp.MustCompile("`ts` = `([^`]+)`").FindStringSubmatch(doc); m != nil {
		r.ts = m[1]
	}
	if m := regexp.MustCompile("`(sha256\\(msgid[^`]*\"base64\"\\))`").FindStringSubmatch(doc); m != nil {
		r.whsec = m[1]
	}
	for _, h := range []string{"X-Webhook-Signature", "webhook-id", "webhook-timestamp", "webhook-signature"} {
		require.Contains(t, r.headers, h, "docs/make-com.md gives the mapping of the %s header", h)
	}
	require.NotEmpty(t, r.msgid, "docs/make-com.md gives the msgid mapping")
	require.NotEmpty(t, r.ts, "docs/make-com.md gives the ts mapping")
	require.NotEmpty(t, r.whsec, "docs/make-com.md gives the whsec_ formula")
	return r
}

// TestMakeComRecipesAreAccepted signs requests exactly as the formulas in
// docs/make-com.md do, evaluated the way Make evaluates them, and posts them
// to the built binary: the HMAC of the body, and Standard Webhooks with a
// plain and with a whsec_ secret. A request signed with another key is
// refused, so acceptance is the signature's doing.
func TestMakeComRecipesAreAccepted(t *testing.T) {
	t.Parallel()
	recipes := readMakeRecipes(t)
	const plain = "make-recipe-secret"
	rawKey := []byte("make-recipe-whsec-key-32-bytes!!")
	b64Key := base64.StdEncoding.EncodeToString(rawKey)
	_, base, _ := startServe(t, []string{"DATA_DIR=" + t.TempDir(),
		"MAKE_COM_WEBHOOK_SECRET=" + plain + ",whsec_" + b64Key})
	url := base + "/api/webhook/make.com/chatgpt-clients"

	post := func(body string, headers map[string]string) (int, string) {
		req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/json")
		for k, v := range headers {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		raw, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		assert.Empty(t, resp.Header.Get("Idempotent-Replayed"), "each request is new")
		return resp.StatusCode, string(raw)
	}
	body := func(task string) string {
		return `{"client_id":"client-make","action_id":"get_client_data","task":{"id":"` + task + `","name":"Make task"}}`
	}
	standardWebhooks := func(b, signature string, secrets map[string]string) map[string]string {
		vars := map[string]string{"body": b, "now": strconv.FormatInt(time.Now().Unix(), 10)}
		for k, v := range secrets {
			vars[k] = v
		}
		var err error
		vars["msgid"], err = makeEval(recipes.msgid, vars)
		require.NoError(t, err)
		vars["ts"], err = makeEval(recipes.ts, vars)
		require.NoError(t, err)
		h := map[string]string{}
		for _, name := range []string{"webhook-id", "webhook-timestamp"} {
			h[name], err = makeEval(recipes.headers[name], vars)
			require.NoError(t, err)
		}
		h["webhook-signature"], err = makeEval(signature, vars)
		require.NoError(t, err)
		return h
	}

	for name, tc := range map[string]struct {
		body    string
		headers func(b string) map[string]string
		status  int
	}{
		"HMAC of the body": {body("task_make_hmac"), func(b string) map[string]string {
			v, err := makeEval(recipes.headers["X-Webhook-Signature"], map[string]string{"body": b, "<secret>": plain})
			require.NoError(t, err)
			return map[string]string{"X-Webhook-Signature": v}
		}, http.StatusOK},
		"Standard Webhooks, plain secret": {body("task_make_sw"), func(b string) map[string]string {
			return standardWebhooks(b, recipes.headers["webhook-signature"], map[string]string{"<secret>": plain})
		}, http.StatusOK},
		"Standard Webhooks, whsec_ secret": {body("task_make_whsec"), func(b string) map[string]string {
			return standardWebhooks(b, "v1,{{"+recipes.whsec+"}}", map[string]string{"<base64 part>": b64Key})
		}, http.StatusOK},
		"HMAC under another key": {body("task_make_wrong"), func(b string) map[string]string {
			v, err := makeEval(recipes.headers["X-Webhook-Signature"], map[string]string{"body": b, "<secret>": "other"})
			require.NoError(t, err)
			return map[string]string{"X-Webhook-Signature": v}
		}, http.StatusUnauthorized},
		"Standard Webhooks under another key": {body("task_make_sw_wrong"), func(b string) map[string]string {
			return standardWebhooks(b, recipes.headers["webhook-signature"], map[string]string{"<secret>": "other"})
		}, http.StatusUnauthorized},
	} {
		t.Run(name, func(t *testing.T) {
			status, raw := post(tc.body, tc.headers(tc.body))
			require.Equal(t, tc.status, status, raw)
			if tc.status == http.StatusOK {
				assert.Contains(t, raw, `"status":"processed"`)
			} else {
				assert.Contains(t, raw, "invalid_signature")
			}
		})
	}
}

func TestMakeSHA256ModelsMakesFunction(t *testing.T) {
	t.Parallel()
	// Known vectors: RFC 4231 test case 2 and the SHA-256 of "abc".
	got, err := makeSHA256([]string{"what do ya want for nothing?", "hex", "Jefe"})
	require.NoError(t, err)
	assert.Equal(t, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843", got)
	got, err = makeSHA256([]string{"what do ya want for nothing?", "base64", base64.StdEncoding.EncodeToString([]byte("Jefe")), "base64"})
	require.NoError(t, err)
	assert.Equal(t, "W9zBRr9gdU5qBCQmCJV1x1oAPwidJzmDnexYuWTsOEM=", got)
	got, err = makeSHA256([]string{"abc"})
	require.NoError(t, err)
	assert.Equal(t, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", got)
	v, err := makeEval(`x{{sha256("a" + b; "hex")}}y`, map[string]string{"b": "bc"})
	require.NoError(t, err)
	assert.Equal(t, "xba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ady", v)
	_, err = makeEval(`{{md5(body)}}`, map[string]string{"body": "x"})
	assert.Error(t, err)
}
