"""The README's Cognito setup for inbound auth, against an AWS endpoint (moto's Cognito in tests).

Creates a user pool, an app client without a secret that allows USER_PASSWORD_AUTH, a user with
a permanent password, and signs the user in, as the README's `aws cognito-idp` commands do.
Prints one JSON object: the pool, the client, the user's access and ID tokens, and the pool's
OpenID discovery URL on that endpoint.

usage: python cognito_user.py ENDPOINT_URL
"""

import json
import sys

import boto3

PASSWORD = "Str0ng-Passw0rd!"


def main(endpoint):
    cognito = boto3.client("cognito-idp", endpoint_url=endpoint, region_name="us-east-1")
    pool = cognito.create_user_pool(PoolName="agent-users")["UserPool"]["Id"]
    client = cognito.create_user_pool_client(
        UserPoolId=pool,
        ClientName="agent-app",
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    )["UserPoolClient"]["ClientId"]
    cognito.admin_create_user(UserPoolId=pool, Username="alice", MessageAction="SUPPRESS")
    cognito.admin_set_user_password(
        UserPoolId=pool, Username="alice", Password=PASSWORD, Permanent=True
    )
    tokens = cognito.initiate_auth(
        ClientId=client,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "alice", "PASSWORD": PASSWORD},
    )["AuthenticationResult"]
    print(
        json.dumps(
            {
                "pool": pool,
                "client": client,
                "access_token": tokens["AccessToken"],
                "id_token": tokens["IdToken"],
                "discovery_url": f"{endpoint}/{pool}/.well-known/openid-configuration",
            }
        )
    )


if __name__ == "__main__":
    main(sys.argv[1])
