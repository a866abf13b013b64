// Throw-away certificates (valid for a day, keys discarded) for unit tests: the code under test parses
// certificates, so fakes will not do. Not a test file itself.

/** A self-signed certificate, CN=db-migrate unit test A. */
export const CERT_A = `-----BEGIN CERTIFICATE-----
MIIBlzCCAT2gAwIBAgIUFtJglUMrbX+sHhdsK0lSdupwCvAwCgYIKoZIzj0EAwIw
ITEfMB0GA1UEAwwWZGItbWlncmF0ZSB1bml0IHRlc3QgQTAeFw0yNjExMjkyMjEw
MzRaFw0yNjExMzAyMjEwMzRaMCExHzAdBgNVBAMMFmRiLW1pZ3JhdGUgdW5pdCB0
ZXN0IEEwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAAQLbiS2jm0rfT55wyJbxcJg
mA+BelrS6nWtSAcA5st8KN3ZuJwj6e5UQGQUpXESa5jNrFUMufj0gSJQ8lPfhJ85
o1MwUTAdBgNVHQ4EFgQUDcdk2StL+IF0GnKF/UGiLnEBgzgwHwYDVR0jBBgwFoAU
Dcdk2StL+IF0GnKF/UGiLnEBgzgwDwYDVR0TAQH/BAUwAwEB/zAKBggqhkjOPQQD
AgNIADBFAiAZZRpWD5heggtOrIPv1YCBiBdTidNssJrW774Hv9DhtgIhANg5fV75
7MidA9cmSCnpanNwC02q3dgyarSy7o58Pu8J
-----END CERTIFICATE-----
`;

/** A self-signed certificate, CN=db-migrate unit test B. */
export const CERT_B = `-----BEGIN CERTIFICATE-----
MIIBlTCCAT2gAwIBAgIUBByLA2eVctC65hTPOJR/fMx82LYwCgYIKoZIzj0EAwIw
ITEfMB0GA1UEAwwWZGItbWlncmF0ZSB1bml0IHRlc3QgQjAeFw0yNjExMjkyMjEw
MzRaFw0yNjExMzAyMjEwMzRaMCExHzAdBgNVBAMMFmRiLW1pZ3JhdGUgdW5pdCB0
ZXN0IEIwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAAR2k80mnw6gS+Izd/rhfuSr
rr8tbAjezEYxV+BU1243LUPTjAkkkzqvl+Bdh+jOwMkoJSCP75Z8C7lkDhN4d1wF
o1MwUTAdBgNVHQ4EFgQUhushfU6vA2lYxKW3GkkENI8vO+swHwYDVR0jBBgwFoAU
hushfU6vA2lYxKW3GkkENI8vO+swDwYDVR0TAQH/BAUwAwEB/zAKBggqhkjOPQQD
AgNGADBDAiACXJLNlmWiCVQHEvlBtbKxcVYb/Hsyi9RPreybWtKr6AIfBA2PahSc
Mw8YQkcKAj6Vhr4OKd1u9pBp5TDJLcaPBQ==
-----END CERTIFICATE-----
`;

/** A self-signed certificate, CN=db-migrate unit test C. */
export const CERT_C = `-----BEGIN CERTIFICATE-----
MIIBljCCAT2gAwIBAgIUI62CFBUwo9LCpobec9yNpLNmAu8wCgYIKoZIzj0EAwIw
ITEfMB0GA1UEAwwWZGItbWlncmF0ZSB1bml0IHRlc3QgQzAeFw0yNjExMjkyMjEw
MzRaFw0yNjExMzAyMjEwMzRaMCExHzAdBgNVBAMMFmRiLW1pZ3JhdGUgdW5pdCB0
ZXN0IEMwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAAS19cDiCO4UQ/Sv83jlJA9O
MzgQ7k5NMuQ2f4Thd1aHPUu1yBkro3z2g6mFELxOgSk4gwNTaEtSkXirue8y3YZk
o1MwUTAdBgNVHQ4EFgQUbMBBoUyFVtkVNdOh8XMTO0iM3twwHwYDVR0jBBgwFoAU
bMBBoUyFVtkVNdOh8XMTO0iM3twwDwYDVR0TAQH/BAUwAwEB/zAKBggqhkjOPQQD
AgNHADBEAiBLbRt9xP3wRH4ILKr/+7s8uqEbm1H3ia5fbJiVDR6JNwIgVGOMbxHN
Q3bec1rpdKjwvxwbXa3f/lUXIXjNYVP8K9g=
-----END CERTIFICATE-----
`;
