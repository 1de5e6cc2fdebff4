package server

import (
	"fmt"
	"reflect"
	"strings"
	"time"
)

// EnvVar documents one environment variable of a struct parsed by
// caarlos0/env. Everything in it comes from the field's tags, so the help
// text and the configuration docs are generated from the struct and cannot
// disagree with it.
type EnvVar struct {
	Name    string // env tag, e.g. HTTP_ADDR
	Default string // envDefault tag; "" means no default
	Kind    string // the values it takes, from the field's type: duration, bool, integer, number, list, string
	Group   string // group tag; a field without one is in the group of the field before it
	Desc    string // desc tag: one line
}

// EnvVars lists the variables of the struct type t in field order. Every
// field with an env tag must have a desc tag, and the first one a group tag;
// the error names each field that lacks them.
func EnvVars(t reflect.Type) ([]EnvVar, error) {
	var out []EnvVar
	var missing []string
	group := ""
	for f := range t.Fields() {
		tag, ok := f.Tag.Lookup("env")
		if !ok {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if g := f.Tag.Get("group"); g != "" {
			group = g
		}
		v := EnvVar{Name: name, Default: f.Tag.Get("envDefault"), Kind: kindOf(f.Type), Group: group,
			Desc: f.Tag.Get("desc")}
		if v.Desc == "" || v.Group == "" || strings.ContainsAny(v.Desc, "\n|") {
			missing = append(missing, t.Name()+"."+f.Name+" ("+name+")")
		}
		out = append(out, v)
	}
	if len(missing) > 0 {
		return out, fmt.Errorf("fields without a one-line desc tag (or group, or with | or a newline in it): %s",
			strings.Join(missing, ", "))
	}
	return out, nil
}

// ConfigVars documents the environment variables of Config.
func ConfigVars() ([]EnvVar, error) { return EnvVars(reflect.TypeFor[Config]()) }

// kindOf names the values a field of type t takes, in the words the docs use.
func kindOf(t reflect.Type) string {
	switch {
	case t == reflect.TypeFor[time.Duration]():
		return "duration"
	case t.Kind() == reflect.Bool:
		return "bool"
	case t.Kind() >= reflect.Int && t.Kind() <= reflect.Uint64:
		return "integer"
	case t.Kind() == reflect.Float32 || t.Kind() == reflect.Float64:
		return "number"
	case t.Kind() == reflect.Slice:
		return "list"
	}
	return "string"
}
