// kstatus-check prints what kstatus (the library Flux, kpt and cli-utils use to
// judge health) computes for each Kubernetes object given as JSON on stdin, one
// JSON result per line. Hydron's tests use it to prove its conditions are read
// correctly without custom health checks.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"
)

func main() {
	decoder := json.NewDecoder(bufio.NewReader(os.Stdin))
	out := json.NewEncoder(os.Stdout)
	for decoder.More() {
		var raw json.RawMessage
		if err := decoder.Decode(&raw); err != nil {
			fmt.Fprintln(os.Stderr, "kstatus-check: bad input:", err)
			os.Exit(2)
		}
		obj := &unstructured.Unstructured{}
		if err := obj.UnmarshalJSON(raw); err != nil { // keeps integers as int64, as the API machinery does
			fmt.Fprintln(os.Stderr, "kstatus-check: bad object:", err)
			os.Exit(2)
		}
		result, err := status.Compute(obj)
		if err != nil {
			fmt.Fprintln(os.Stderr, "kstatus-check:", err)
			os.Exit(1)
		}
		_ = out.Encode(map[string]string{"status": result.Status.String(), "message": result.Message})
	}
}
