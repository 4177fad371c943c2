// Command gooracle renders Go text/template cases for kaiun's differential tests.
//
// It reads a JSON array of {"name", "text", "data", "options"} from stdin and writes a JSON
// array of {"out", "err", "phase"} to stdout, one per case, using only the standard library.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"text/template"
)

type tcase struct {
	Name    string      `json:"name"`
	Text    string      `json:"text"`
	Data    interface{} `json:"data"`
	Options []string    `json:"options"`
}

type result struct {
	Out   string `json:"out"`
	Err   string `json:"err"`
	Phase string `json:"phase"`
}

func run(c tcase) (res result) {
	defer func() {
		if r := recover(); r != nil {
			res = result{Err: fmt.Sprint(r), Phase: "panic"}
		}
	}()
	t := template.New(c.Name)
	if len(c.Options) > 0 {
		t = t.Option(c.Options...)
	}
	t, err := t.Parse(c.Text)
	if err != nil {
		return result{Err: err.Error(), Phase: "parse"}
	}
	var b strings.Builder
	if err := t.Execute(&b, c.Data); err != nil {
		return result{Err: err.Error(), Phase: "exec"}
	}
	return result{Out: b.String(), Phase: "ok"}
}

func main() {
	var cases []tcase
	if err := json.NewDecoder(os.Stdin).Decode(&cases); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	out := make([]result, len(cases))
	for i, c := range cases {
		out[i] = run(c)
	}
	if err := json.NewEncoder(os.Stdout).Encode(out); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
}
