/**
 * @module
 * Assets upload tokens: real HS256 JWTs (signed with jose) with a per-emulator secret.
 *
 * Claims: `iss` "wfp-emulator", `sub` = kind ("session" | "completion"), `acc` account id, `ns` namespace id,
 * `nsn` namespace name (informational), `scr` script name, `sid` upload-session id, `iat`, `exp`.
 */
import type * as Jose from "jose" with { "resolution-mode": "import" };

export type TokenKind = "session" | "completion";

export interface AssetTokenClaims {
  kind: TokenKind;
  account: string;
  /** The script container's id: a namespace's, or the account's. */
  containerId: string;
  namespaceName: string;
  script: string;
  sessionId: string;
  /** Expiry, seconds since the epoch. */
  exp: number;
}

export type VerifyResult = { ok: true; claims: AssetTokenClaims } | { ok: false; reason: "expired" | "invalid" };

const ISSUER = "wfp-emulator";

// jose is ESM-only; a dynamic import works from this CommonJS package under Node and under vitest alike.
let josePromise: Promise<typeof Jose> | undefined;
function jose(): Promise<typeof Jose> {
  josePromise ??= import("jose");
  return josePromise;
}

export class TokenSigner {
  private readonly key: Uint8Array;

  constructor(
    secret: Buffer,
    private readonly ttlSeconds: number,
    private readonly now: () => number = Date.now,
  ) {
    this.key = new Uint8Array(secret);
  }

  async sign(claims: Omit<AssetTokenClaims, "exp">): Promise<{ jwt: string; exp: number }> {
    const { SignJWT } = await jose();
    const iat = Math.floor(this.now() / 1000);
    const exp = iat + this.ttlSeconds;
    const jwt = await new SignJWT({
      acc: claims.account,
      ns: claims.containerId,
      nsn: claims.namespaceName,
      scr: claims.script,
      sid: claims.sessionId,
    })
      .setProtectedHeader({ alg: "HS256", typ: "JWT" })
      .setIssuer(ISSUER)
      .setSubject(claims.kind)
      .setIssuedAt(iat)
      .setExpirationTime(exp)
      .sign(this.key);
    return { jwt, exp };
  }

  async verify(token: string): Promise<VerifyResult> {
    const { jwtVerify, errors } = await jose();
    try {
      const { payload } = await jwtVerify(token, this.key, {
        issuer: ISSUER,
        algorithms: ["HS256"],
        currentDate: new Date(this.now()),
      });
      const kind = payload.sub;
      if ((kind !== "session" && kind !== "completion") || typeof payload.exp !== "number") return { ok: false, reason: "invalid" };
      for (const k of ["acc", "ns", "nsn", "scr", "sid"]) if (typeof payload[k] !== "string") return { ok: false, reason: "invalid" };
      return {
        ok: true,
        claims: {
          kind,
          account: payload.acc as string,
          containerId: payload.ns as string,
          namespaceName: payload.nsn as string,
          script: payload.scr as string,
          sessionId: payload.sid as string,
          exp: payload.exp,
        },
      };
    } catch (err) {
      if (err instanceof errors.JWTExpired) return { ok: false, reason: "expired" };
      return { ok: false, reason: "invalid" };
    }
  }
}
