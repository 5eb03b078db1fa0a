import { describe, expect, it } from 'vitest';
import cryptoBasics from '../../test/vectors/crypto-basics.json';
import secretTree from '../../test/vectors/secret-tree.json';
import {
  decryptWithLabelBytes,
  deriveSecretBytes,
  deriveTreeSecretBytes,
  expandWithLabelBytes,
  refHash,
  SUITE_ID,
  secretTreeLeafKeys,
  senderDataKeyAndNonce,
  signWithLabelBytes,
  verifyWithLabelBytes,
} from './mls';

function hex(value: string): Uint8Array {
  return Uint8Array.from(value.match(/../g) ?? [], (byte) => Number.parseInt(byte, 16));
}

function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
}

// The published crypto-basics vectors carry keys as TLS `opaque<V>` (a QUIC-style varint length, then the
// bytes); the primitives take raw keys, so the prefix is checked and removed.
function withoutVarintLength(bytes: Uint8Array): Uint8Array {
  const first = bytes[0] ?? 0;
  const prefixLength = 1 << (first >> 6);
  let length = first & 0x3f;
  for (let i = 1; i < prefixLength; i++) length = (length << 8) | (bytes[i] ?? 0);
  expect(bytes.length - prefixLength).toBe(length);
  return bytes.subarray(prefixLength);
}

const cases = cryptoBasics.filter((entry) => entry.cipher_suite === SUITE_ID);

describe('IETF crypto-basics vectors, suite 1', () => {
  it('has suite-1 cases to run', () => {
    expect(cases.length).toBeGreaterThan(0);
  });

  describe.each(cases.map((entry, index) => [index, entry] as const))('case %i', (_index, entry) => {
    it('ref_hash', async () => {
      const { label, value, out } = entry.ref_hash;
      expect(toHex(await refHash(label, hex(value)))).toBe(out);
    });

    it('expand_with_label', async () => {
      const { secret, label, context, length, out } = entry.expand_with_label;
      expect(toHex(await expandWithLabelBytes(hex(secret), label, hex(context), length))).toBe(out);
    });

    it('derive_secret', async () => {
      const { secret, label, out } = entry.derive_secret;
      expect(toHex(await deriveSecretBytes(hex(secret), label))).toBe(out);
    });

    it('derive_tree_secret', async () => {
      const { secret, label, generation, length, out } = entry.derive_tree_secret;
      expect(toHex(await deriveTreeSecretBytes(hex(secret), label, generation, length))).toBe(out);
    });

    it('sign_with_label: the published signature verifies, a changed content does not', async () => {
      const { pub, content, label, signature } = entry.sign_with_label;
      const publicKey = withoutVarintLength(hex(pub));
      expect(await verifyWithLabelBytes(publicKey, label, hex(content), hex(signature))).toBe(true);
      const changed = hex(content);
      changed[0] = (changed[0] ?? 0) ^ 1;
      expect(await verifyWithLabelBytes(publicKey, label, changed, hex(signature))).toBe(false);
      expect(await verifyWithLabelBytes(publicKey, `${label}!`, hex(content), hex(signature))).toBe(false);
    });

    it('sign_with_label: sign with the published key and verify round-trips', async () => {
      const { priv, pub, content, label, signature } = entry.sign_with_label;
      const privateKey = withoutVarintLength(hex(priv));
      const ours = await signWithLabelBytes(privateKey, label, hex(content));
      // Ed25519 is deterministic (RFC 8032), so the same key and content give the published signature.
      expect(toHex(ours)).toBe(signature);
      expect(await verifyWithLabelBytes(withoutVarintLength(hex(pub)), label, hex(content), ours)).toBe(true);
    });

    it('encrypt_with_label: decrypts the published ciphertext', async () => {
      const { priv, label, context, kem_output, ciphertext, plaintext } = entry.encrypt_with_label;
      const opened = await decryptWithLabelBytes(
        withoutVarintLength(hex(priv)),
        label,
        hex(context),
        hex(kem_output),
        hex(ciphertext),
      );
      expect(toHex(opened)).toBe(plaintext);
    });

    it('encrypt_with_label: a different context does not decrypt', async () => {
      const { priv, label, context, kem_output, ciphertext } = entry.encrypt_with_label;
      const otherContext = hex(context);
      otherContext[0] = (otherContext[0] ?? 0) ^ 1;
      await expect(
        decryptWithLabelBytes(
          withoutVarintLength(hex(priv)),
          label,
          otherContext,
          hex(kem_output),
          hex(ciphertext),
        ),
      ).rejects.toThrow();
    });
  });
});

const treeCases = secretTree.filter((entry) => entry.cipher_suite === SUITE_ID);

describe('IETF secret-tree vectors, suite 1', () => {
  it('has suite-1 cases to run', () => {
    expect(treeCases.length).toBeGreaterThan(0);
  });

  describe.each(treeCases.map((entry) => [entry.n_leaves, entry] as const))('%i leaves', (_n, entry) => {
    it('sender data key and nonce', async () => {
      const { sender_data_secret, ciphertext, key, nonce } = entry.sender_data;
      const derived = await senderDataKeyAndNonce(hex(sender_data_secret), hex(ciphertext));
      expect({ key: toHex(derived.key), nonce: toHex(derived.nonce) }).toEqual({ key, nonce });
    });

    it('application and handshake keys and nonces of every leaf', async () => {
      for (const [leafIndex, leaf] of entry.leaves.entries()) {
        const keys = await secretTreeLeafKeys(
          hex(entry.encryption_secret),
          entry.n_leaves,
          leafIndex,
          leaf.generation,
        );
        expect({
          leafIndex,
          application_key: toHex(keys.applicationKey),
          application_nonce: toHex(keys.applicationNonce),
          handshake_key: toHex(keys.handshakeKey),
          handshake_nonce: toHex(keys.handshakeNonce),
        }).toEqual({
          leafIndex,
          application_key: leaf.application_key,
          application_nonce: leaf.application_nonce,
          handshake_key: leaf.handshake_key,
          handshake_nonce: leaf.handshake_nonce,
        });
      }
    });
  });
});
