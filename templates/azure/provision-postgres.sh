#!/usr/bin/env bash
# Provision Azure Database for PostgreSQL (Flexible Server) with pgvector for brainstore.
#
# Usage: templates/azure/provision-postgres.sh [--dry-run]
#   --dry-run   print every `az` command (one per line, prefixed `+ az`) instead of running it;
#               needs no `az` and no network.
#
# Idempotent: a second run reuses the resource group, server and database that exist, and updates the
# extension allow-list and the firewall rule. Every variable below can be set from the environment:
#   RESOURCE_GROUP=my-rg SERVER_NAME=my-unique-name templates/azure/provision-postgres.sh
#
# The admin password comes from POSTGRES_ADMIN_PASSWORD, or is generated for a new server. It is never
# printed, except inside the DATABASE_URL at the end. Re-running against an existing server needs
# POSTGRES_ADMIN_PASSWORD, because Azure cannot tell the password again.
set -euo pipefail

RESOURCE_GROUP="${RESOURCE_GROUP:-brainstore-rg}"
LOCATION="${LOCATION:-westeurope}"
SERVER_NAME="${SERVER_NAME:-brainstore-pg}" # global: becomes SERVER_NAME.postgres.database.azure.com
ADMIN_USER="${ADMIN_USER:-brainstore}"
DATABASE_NAME="${DATABASE_NAME:-brainstore}"
SKU_NAME="${SKU_NAME:-Standard_B1ms}"
TIER="${TIER:-Burstable}"
PG_VERSION="${PG_VERSION:-16}"
STORAGE_SIZE_GB="${STORAGE_SIZE_GB:-32}"
FIREWALL_RULE_NAME="${FIREWALL_RULE_NAME:-brainstore-client}"
CLIENT_IP="${CLIENT_IP:-}" # the public IP allowed through the firewall; looked up when empty
IP_LOOKUP_URL="${IP_LOOKUP_URL:-https://api.ipify.org}"

dry_run=false
for arg in "$@"; do
  case "$arg" in
    --dry-run) dry_run=true ;;
    -h | --help)
      sed -n '2,/^set -euo pipefail$/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'
      exit 0
      ;;
    *)
      echo "provision-postgres.sh: unknown argument '$arg' (try --help)" >&2
      exit 2
      ;;
  esac
done

fail() {
  echo "provision-postgres.sh: $*" >&2
  exit 1
}

password_from_env=true
admin_password="${POSTGRES_ADMIN_PASSWORD:-}"
if [[ -z "$admin_password" ]]; then
  password_from_env=false
  # 24 random letters and digits, plus one of each class so Azure's complexity rule always holds.
  random=$(head -c 256 /dev/urandom | LC_ALL=C tr -dc 'A-Za-z0-9')
  admin_password="${random:0:24}Aa1"
fi

# Shows an az command with the password masked: on stdout in a dry run, on stderr as progress otherwise.
show() {
  local line="+ az" word
  for word in "$@"; do
    if [[ "$word" == "$admin_password" ]]; then
      line+=" ********"
    else
      line+=" $(printf '%q' "$word")"
    fi
  done
  if $dry_run; then echo "$line"; else echo "$line" >&2; fi
}

# Runs an az command, or only shows it in a dry run.
az_run() {
  set -- "$@" --only-show-errors --output none
  show "$@"
  if ! $dry_run; then az "$@"; fi
}

# True when the resource that an `az ... show` command names exists. A dry run assumes it does not, so
# the command that creates it is shown too.
az_exists() {
  set -- "$@" --only-show-errors --output none
  show "$@"
  if $dry_run; then return 1; fi
  az "$@" >/dev/null 2>&1
}

# Percent-encodes $1 for the user-info part of a URL.
urlencode() {
  local LC_ALL=C string="$1" encoded="" char i
  for ((i = 0; i < ${#string}; i++)); do
    char="${string:i:1}"
    case "$char" in
      [a-zA-Z0-9.~_-]) encoded+="$char" ;;
      *) encoded+=$(printf '%%%02X' "'$char") ;;
    esac
  done
  printf '%s' "$encoded"
}

if ! $dry_run; then
  command -v az >/dev/null || fail "the Azure CLI \`az\` is not on the PATH: install it (package azure-cli) and run \`az login\`"
fi
if [[ -z "$CLIENT_IP" ]]; then
  if $dry_run; then
    echo "# a real run looks up your public IP with: curl -fsS --max-time 10 $IP_LOOKUP_URL (set CLIENT_IP to skip)"
    CLIENT_IP="PUBLIC_IP"
  else
    CLIENT_IP=$(curl -fsS --max-time 10 "$IP_LOOKUP_URL") ||
      fail "cannot look up your public IP at $IP_LOOKUP_URL: set CLIENT_IP=a.b.c.d (or IP_LOOKUP_URL) and run again"
    [[ "$CLIENT_IP" =~ ^[0-9]{1,3}(\.[0-9]{1,3}){3}$ ]] ||
      fail "$IP_LOOKUP_URL answered '$CLIENT_IP', not an IPv4 address: set CLIENT_IP=a.b.c.d and run again"
  fi
fi

# Fails early, with az's own message, when nobody is logged in (`az login`).
az_run account show

if ! az_exists group show --name "$RESOURCE_GROUP"; then
  az_run group create --name "$RESOURCE_GROUP" --location "$LOCATION"
fi

if az_exists postgres flexible-server show --resource-group "$RESOURCE_GROUP" --name "$SERVER_NAME"; then
  $password_from_env || fail "server $SERVER_NAME exists: set POSTGRES_ADMIN_PASSWORD to its admin password \
(or give it a new one with \`az postgres flexible-server update --resource-group $RESOURCE_GROUP --name $SERVER_NAME --admin-password ...\`)"
  echo "reusing server $SERVER_NAME" >&2
else
  # Public access with no address allowed yet; the firewall rule below lets in this machine only.
  az_run postgres flexible-server create --resource-group "$RESOURCE_GROUP" --name "$SERVER_NAME" \
    --location "$LOCATION" --admin-user "$ADMIN_USER" --admin-password "$admin_password" \
    --sku-name "$SKU_NAME" --tier "$TIER" --version "$PG_VERSION" --storage-size "$STORAGE_SIZE_GB" \
    --public-access None --yes
fi

# Azure allows only allow-listed extensions; brainstore runs `CREATE EXTENSION vector` itself.
# This sets the whole list: add others comma-separated (VECTOR,PG_TRGM) if the server needs them.
az_run postgres flexible-server parameter set --resource-group "$RESOURCE_GROUP" --server-name "$SERVER_NAME" \
  --name azure.extensions --value VECTOR

if ! az_exists postgres flexible-server db show --resource-group "$RESOURCE_GROUP" --server-name "$SERVER_NAME" \
  --database-name "$DATABASE_NAME"; then
  az_run postgres flexible-server db create --resource-group "$RESOURCE_GROUP" --server-name "$SERVER_NAME" \
    --database-name "$DATABASE_NAME"
fi

az_run postgres flexible-server firewall-rule create --resource-group "$RESOURCE_GROUP" --name "$SERVER_NAME" \
  --rule-name "$FIREWALL_RULE_NAME" --start-ip-address "$CLIENT_IP" --end-ip-address "$CLIENT_IP"

if $dry_run; then
  shown_password='********'
else
  shown_password=$(urlencode "$admin_password")
fi
echo "DATABASE_URL=postgres://$(urlencode "$ADMIN_USER"):${shown_password}@${SERVER_NAME}.postgres.database.azure.com:5432/$(urlencode "$DATABASE_NAME")?sslmode=require"
