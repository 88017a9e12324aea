package artifact

// KeyFingerprint is "sha256:" and the hex SHA-256 of the DER
// SubjectPublicKeyInfo of a key-method trust's key, as Signer.KeyFingerprint
// names a verified signer; "" for the other methods.
func (t Trust) KeyFingerprint() string {
	if t.method != MethodKey {
		return ""
	}
	return keyFingerprint(t.key)
}
