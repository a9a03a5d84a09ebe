package auth

// Secrets good enough for secret_key, for tests only.
const (
	testKey  = "k7Jq9vXyPz3mN2bR8tW5cL1dF6gH4sA0eU9iO7pQ2wE="
	testKey2 = "Zx8Cv7Bn6Mm5Ll4Kk3Jj2Hh1Gg0Ff9Dd8Ss7Aa6Qq5W="
	testKey3 = "pO9iU8yT7rE6wQ5aS4dF3gH2jK1lZ0xC9vB8nM7qW6E="
)
