package server

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// ApprovalTokenFileName is the file in DATA_DIR that holds the generated
// APPROVAL_TOKEN when none is configured.
const ApprovalTokenFileName = "approval_token"

// signInLinkTTL is how long the one-time sign-in link printed at start works.
const signInLinkTTL = time.Hour

// ApprovalTokenFile is the path of the generated APPROVAL_TOKEN in dataDir.
func ApprovalTokenFile(dataDir string) string {
	return filepath.Join(dataDir, ApprovalTokenFileName)
}

// ReadApprovalTokenFile returns the token stored in dataDir, or "" and an
// error wrapping fs.ErrNotExist when there is none.
func ReadApprovalTokenFile(dataDir string) (string, error) {
	b, err := os.ReadFile(ApprovalTokenFile(dataDir))
	if err != nil {
		return "", fmt.Errorf("read approval token: %w", err)
	}
	tok := strings.TrimSpace(string(b))
	if tok == "" {
		return "", fmt.Errorf("read approval token %s: %w (the file is empty)", ApprovalTokenFile(dataDir), fs.ErrNotExist)
	}
	return tok, nil
}

// LoadOrCreateApprovalToken returns the token kept in dataDir, creating it
// (32 random bytes, base64url, file mode 0600) on first start. A file that
// others can read is narrowed to 0600 first. created reports a new token.
func LoadOrCreateApprovalToken(dataDir string) (token string, created bool, err error) {
	path := ApprovalTokenFile(dataDir)
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return "", false, fmt.Errorf("create DATA_DIR for the approval token: %w", err)
	}
	for range 2 {
		if st, err := os.Stat(path); err == nil && st.Mode().Perm()&0o077 != 0 {
			if err := os.Chmod(path, 0o600); err != nil {
				return "", false, fmt.Errorf("restrict %s to mode 0600: %w", path, err)
			}
		}
		tok, err := ReadApprovalTokenFile(dataDir)
		if err == nil {
			return tok, false, nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return "", false, err
		}
		if _, statErr := os.Stat(path); statErr == nil {
			// An empty file: replace it.
			if err := os.Remove(path); err != nil {
				return "", false, fmt.Errorf("replace empty %s: %w", path, err)
			}
		}
		tok = randomToken()
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, fs.ErrExist) {
			continue // another process created it meanwhile: read theirs
		}
		if err != nil {
			return "", false, fmt.Errorf("create %s: %w", path, err)
		}
		_, werr := f.WriteString(tok + "\n")
		if cerr := f.Close(); werr == nil {
			werr = cerr
		}
		if werr != nil {
			_ = os.Remove(path)
			return "", false, fmt.Errorf("write %s: %w", path, werr)
		}
		return tok, true, nil
	}
	return "", false, fmt.Errorf("create %s: it keeps appearing and vanishing", path)
}

// signInCode is the one-time code of the sign-in link printed at start: it
// works once, for signInLinkTTL, and only in this process.
type signInCode struct {
	mu      sync.Mutex
	code    string
	expires time.Time
}

func newSignInCode(now time.Time) *signInCode {
	return &signInCode{code: randomToken(), expires: now.Add(signInLinkTTL)}
}

// value is the code while it is usable, else "".
func (c *signInCode) value(now time.Time) string {
	if c == nil {
		return ""
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.code == "" || !now.Before(c.expires) {
		return ""
	}
	return c.code
}

// redeem reports whether got is the code, still unused and unexpired, and
// uses it up.
func (c *signInCode) redeem(got string, now time.Time) bool {
	if c == nil || got == "" {
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.code == "" || !now.Before(c.expires) || subtle.ConstantTimeCompare([]byte(got), []byte(c.code)) != 1 {
		return false
	}
	c.code = ""
	return true
}

// logSignInLink logs, once, the one-time link that signs a browser in to the
// approvals page: PUBLIC_URL's, else the listener's address. It goes to the
// log on stderr, never to stdout.
func (s *Server) logSignInLink(addr net.Addr) {
	code := s.review.signIn.value(s.deps.Now())
	if code == "" || !s.review.linkLogged.CompareAndSwap(false, true) {
		return
	}
	base := strings.TrimRight(s.cfg.PublicURL, "/")
	if base == "" {
		host := "127.0.0.1"
		if ap, err := netip.ParseAddrPort(addr.String()); err == nil {
			if ip := ap.Addr(); !ip.IsUnspecified() {
				host = ip.String()
			} else if ip.Is6() && !ip.Is4In6() {
				host = "::1"
			}
			base = "http://" + netip.AddrPortFrom(netip.MustParseAddr(host), ap.Port()).String()
		} else {
			base = "http://" + addr.String()
		}
	}
	s.log.Info("approvals page: sign in with this one-time link (it works once, within an hour; "+
		"afterwards sign in with the token in token_file)", "url", base+"/approvals/login?code="+code, "token_file", s.review.tokenFile)
}
