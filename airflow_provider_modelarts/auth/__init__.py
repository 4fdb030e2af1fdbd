"""Authentication: SDK-HMAC-SHA256 request signing and IAM tokens, as ``httpx.Auth`` flows."""
