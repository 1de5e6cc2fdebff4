package server

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/caarlos0/env/v11"
)

// LoadConfig parses the environment (KEY=value strings, as os.Environ gives
// them) into the configuration and validates it. A bad value is reported by its
// variable name with what the variable accepts.
func LoadConfig(environ []string) (Config, error) {
	m := make(map[string]string, len(environ))
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok {
			m[k] = v
		}
	}
	// caarlos0/env gives a variable that is set but empty its default; for
	// HTTP_ADDR that would quietly listen where the operator meant no address.
	if v, ok := m["HTTP_ADDR"]; ok && strings.TrimSpace(v) == "" {
		return Config{}, fmt.Errorf("configuration: HTTP_ADDR is set but empty: want host:port such as " +
			"127.0.0.1:8000 (unset it for that default; the HTTP listener cannot be turned off)")
	}
	cfg, err := env.ParseAsWithOptions[Config](env.Options{Environment: m})
	if err != nil {
		return cfg, fmt.Errorf("configuration: %w", describeEnvError(err, m))
	}
	if err := cfg.Validate(); err != nil {
		return cfg, fmt.Errorf("configuration: %w", err)
	}
	return cfg, nil
}

// describeEnvError rewrites caarlos0/env's errors, which name Go fields, in
// terms of the environment variables an operator sets.
func describeEnvError(err error, environ map[string]string) error {
	var agg env.AggregateError
	if !errors.As(err, &agg) {
		return err
	}
	msgs := make([]string, 0, len(agg.Errors))
	for _, e := range agg.Errors {
		var pe env.ParseError
		if !errors.As(e, &pe) {
			msgs = append(msgs, e.Error())
			continue
		}
		field, ok := reflect.TypeFor[Config]().FieldByName(pe.Name)
		name := field.Tag.Get("env")
		if !ok || name == "" {
			msgs = append(msgs, e.Error())
			continue
		}
		msgs = append(msgs, fmt.Sprintf("%s=%q: want %s", name, environ[name], accepts(pe.Type)))
	}
	return errors.New(strings.Join(msgs, "; "))
}

// accepts says in words what values a variable of type t takes.
func accepts(t reflect.Type) string {
	switch {
	case t == reflect.TypeFor[time.Duration]():
		return "a duration such as 30s, 5m or 24h"
	case t.Kind() == reflect.Bool:
		return "true or false"
	case t.Kind() >= reflect.Int && t.Kind() <= reflect.Int64:
		return "a whole number"
	}
	return "a " + t.String()
}
