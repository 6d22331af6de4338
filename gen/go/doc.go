// Package client is the Go client of the Switchyard LLM gateway. The API
// lives in the generated packages below it (regenerated from proto/ by
// `npm run generate`; this file and version.go are kept by hand, one level
// above buf's output, so they survive regeneration):
//
//   - switchyard/v1: the messages and the grpc-go stubs
//     (NewInferenceServiceClient, NewAdminServiceClient);
//   - switchyard/v1/switchyardv1connect: the connect-go stubs (Connect
//     protocol, gRPC or gRPC-Web over plain net/http).
//
// Install it like any module:
//
//	go get github.com/switchyard-dev/switchyard/gen/go@latest
//
// Call a gateway with grpc-go:
//
//	import (
//		switchyardv1 "github.com/switchyard-dev/switchyard/gen/go/switchyard/v1"
//		"google.golang.org/grpc"
//		"google.golang.org/grpc/credentials/insecure"
//	)
//
//	conn, err := grpc.NewClient("localhost:4000", grpc.WithTransportCredentials(insecure.NewCredentials()))
//	if err != nil { ... }
//	defer conn.Close()
//	reply, err := switchyardv1.NewInferenceServiceClient(conn).Complete(ctx, &switchyardv1.CompletionRequest{
//		Model:    "mock",
//		Messages: []*switchyardv1.Message{{Role: "user", Content: "hi"}},
//	})
//	fmt.Println(reply.GetChoices()[0].GetMessage().GetContent())
//
// or with connect-go over HTTP/1.1 (see Example):
//
//	client := switchyardv1connect.NewInferenceServiceClient(http.DefaultClient, "http://localhost:4000")
//	reply, err := client.Complete(ctx, connect.NewRequest(&switchyardv1.CompletionRequest{...}))
package client
