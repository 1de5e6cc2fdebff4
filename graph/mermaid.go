package graph

import (
	"strconv"
	"strings"
	"unicode"
)

// Mermaid renders a client graph as a Mermaid flowchart: one node per graph
// node, labelled with its label and type, and one edge, labelled with its
// type, per relationship whose two endpoints are in g. Node ids are n0, n1, …
// in g's order; every text is escaped by mermaidText, so that no label can
// end its string, start a Markdown string, carry a %%{init}%% directive or
// HTML, or otherwise change the diagram.
func Mermaid(g ClientGraph) string {
	var b strings.Builder
	b.WriteString("flowchart LR\n")
	ids := make(map[string]string, len(g.Nodes))
	for i, n := range g.Nodes {
		id := "n" + strconv.Itoa(i)
		ids[n.ID] = id
		b.WriteString("  " + id + `["` + mermaidText(n.Label) + "<br/><small>" + mermaidText(n.Type) + "</small>\"]\n")
	}
	for _, r := range g.Relationships {
		from, ok1 := ids[r.Source]
		to, ok2 := ids[r.Target]
		if !ok1 || !ok2 {
			continue
		}
		if r.Type == "" {
			b.WriteString("  " + from + " --> " + to + "\n")
		} else {
			b.WriteString("  " + from + ` -->|"` + mermaidText(r.Type) + `"| ` + to + "\n")
		}
	}
	return b.String()
}

// mermaidText makes s safe inside a quoted Mermaid string ("…"): letters,
// digits, spaces and a few punctuation marks stay as they are; every other
// character becomes Mermaid's numeric entity #<code point>; (rendered as the
// character itself). That escapes the quote that would end the string, the
// backtick that would start a Markdown string, the % and braces of a
// %%{init}%% directive, the colon and semicolon that Mermaid's style and
// classDef rewriting looks for, # itself (so that no text reads as an entity),
// < > & (HTML), line breaks, and control and format characters.
func mermaidText(s string) string {
	safe := true
	for _, r := range s {
		if !mermaidSafe(r) {
			safe = false
			break
		}
	}
	if safe {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	for _, r := range s {
		if mermaidSafe(r) {
			b.WriteRune(r)
			continue
		}
		b.WriteByte('#')
		b.WriteString(strconv.Itoa(int(r)))
		b.WriteByte(';')
	}
	return b.String()
}

// mermaidSafe reports whether r may appear as it is in a quoted Mermaid string.
func mermaidSafe(r rune) bool {
	switch {
	case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == ' ':
		return true
	case r < 0x80:
		return strings.ContainsRune("-_.,/@+=?!*'()", r)
	case r == unicode.ReplacementChar:
		return false
	}
	return unicode.IsLetter(r) || unicode.IsDigit(r)
}
