// Package llm is attache's client of OpenAI-compatible APIs (OpenAI, Ollama,
// vLLM, LM Studio, llama.cpp server): a chat Client that streams answers, an
// Embedder for the embeddings endpoint, and the retry policy both share.
// Errors are single lines that never contain the API key and wrap ErrAuth,
// ErrModel or ErrUnavailable.
//
// llm is the only package that imports go-openai.
package llm
