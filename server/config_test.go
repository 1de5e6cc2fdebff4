package server

import (
	"reflect"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestValidateNamesTheVariable(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		change func(*Config)
		want   string // "" means valid
	}{
		{"defaults of the test config", func(*Config) {}, ""},
		{"empty listen address", func(c *Config) { c.HTTPAddr = "" }, "HTTP_ADDR is empty"},
		{"blank listen address", func(c *Config) { c.HTTPAddr = "  " }, "HTTP_ADDR is empty"},
		{"listen address without port", func(c *Config) { c.HTTPAddr = "localhost" }, `HTTP_ADDR="localhost"`},
		{"listen address with empty port", func(c *Config) { c.HTTPAddr = "127.0.0.1:" }, `HTTP_ADDR="127.0.0.1:"`},
		{"all interfaces", func(c *Config) { c.HTTPAddr = ":8000" }, ""},
		{"public url", func(c *Config) { c.PublicURL = "https://hooks.example.com/base/" }, ""},
		{"public url without scheme", func(c *Config) { c.PublicURL = "hooks.example.com" }, `PUBLIC_URL="hooks.example.com"`},
		{"public url of another scheme", func(c *Config) { c.PublicURL = "ftp://hooks.example.com" }, "PUBLIC_URL="},
		{"public url with a query", func(c *Config) { c.PublicURL = "https://hooks.example.com/?a=1" }, "PUBLIC_URL="},
		{"public url with credentials", func(c *Config) { c.PublicURL = "https://u:p@hooks.example.com" }, "PUBLIC_URL="},
		{"notify url", func(c *Config) { c.ApprovalNotifyURL = "https://hooks.slack.com/services/T/B/x?y=1" }, ""},
		{"notify url without host", func(c *Config) { c.ApprovalNotifyURL = "https:///path" }, "APPROVAL_NOTIFY_URL="},
		{"notify url relative", func(c *Config) { c.ApprovalNotifyURL = "/notify" }, `APPROVAL_NOTIFY_URL="/notify"`},
		{"origins", func(c *Config) {
			c.AllowedOrigins = []string{"https://app.example.com", " http://localhost:* ", "https://x.example:8443/", "*", ""}
		}, ""},
		{"origin without scheme", func(c *Config) { c.AllowedOrigins = []string{"app.example.com"} },
			`ALLOWED_ORIGINS entry "app.example.com"`},
		{"origin with a path", func(c *Config) { c.AllowedOrigins = []string{"https://ok.example", "https://app.example.com/x"} },
			`ALLOWED_ORIGINS entry "https://app.example.com/x"`},
		{"null origin", func(c *Config) { c.AllowedOrigins = []string{"null"} }, `ALLOWED_ORIGINS entry "null"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := testConfig()
			tc.change(&cfg)
			err := cfg.Validate()
			if tc.want == "" {
				assert.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

// TestConfigErrorsNameTheVariable calls LoadConfig rather than run, so that a
// value accepted by mistake fails the test instead of starting a server.
func TestConfigErrorsNameTheVariable(t *testing.T) {
	t.Parallel()
	cases := map[string]string{
		"HTTP_ADDR=":                      "HTTP_ADDR is set but empty",
		"HTTP_ADDR=8000":                  `HTTP_ADDR="8000"`,
		"PUBLIC_URL=hooks.example.com":    `PUBLIC_URL="hooks.example.com"`,
		"APPROVAL_NOTIFY_URL=slack":       `APPROVAL_NOTIFY_URL="slack"`,
		"ALLOWED_ORIGINS=app.example.com": `ALLOWED_ORIGINS entry "app.example.com"`,
	}
	for kv, want := range cases {
		t.Run(kv, func(t *testing.T) {
			t.Parallel()
			_, err := LoadConfig([]string{kv})
			require.Error(t, err)
			assert.Contains(t, err.Error(), want)
		})
	}
}

func TestEveryConfigVariableIsDescribed(t *testing.T) {
	t.Parallel()
	vars, err := ConfigVars()
	require.NoError(t, err)
	n := 0
	for f := range reflect.TypeFor[Config]().Fields() {
		if _, ok := f.Tag.Lookup("env"); ok {
			n++
		}
	}
	require.Len(t, vars, n)
	byName := map[string]EnvVar{}
	for _, v := range vars {
		byName[v.Name] = v
	}
	assert.Equal(t, EnvVar{Name: "RATE_LIMIT_PER_IP", Default: "100", Kind: "number", Group: "Ingress security",
		Desc: byName["RATE_LIMIT_PER_IP"].Desc}, byName["RATE_LIMIT_PER_IP"])
	assert.Equal(t, "duration", byName["APPROVAL_TTL"].Kind)
	assert.Equal(t, "list", byName["ALLOWED_ORIGINS"].Kind)
}

func TestEnvVarsRefusesAnUndescribedField(t *testing.T) {
	t.Parallel()
	type partly struct {
		A string `env:"A" envDefault:"x" group:"G" desc:"described"`
		B int    `env:"B,notEmpty"`
		C bool   `env:"C" desc:"two|cells"`
		D string // not an env variable
	}
	vars, err := EnvVars(reflect.TypeFor[partly]())
	require.Error(t, err)
	assert.Contains(t, err.Error(), "partly.B (B)")
	assert.Contains(t, err.Error(), "partly.C (C)")
	assert.NotContains(t, err.Error(), "partly.A")
	require.Len(t, vars, 3)
	assert.Equal(t, EnvVar{Name: "A", Default: "x", Kind: "string", Group: "G", Desc: "described"}, vars[0])
	assert.Equal(t, EnvVar{Name: "B", Kind: "integer", Group: "G"}, vars[1])
}
