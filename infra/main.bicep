// Entra Backup for Teams on Azure: one resource group holding
//   - a user-assigned managed identity: the only identity the app uses for Azure (Cosmos DB
//     data plane through RBAC, Key Vault references), so no Azure key is in any app setting;
//   - Key Vault: the three Entra client secrets (backup app, restore app, bot), read by App
//     Service through Key Vault references with that identity;
//   - Cosmos DB for NoSQL (serverless or autoscale): the containers the store uses, created here
//     with the store's own partition keys and indexes (infra/cosmos-containers.json);
//   - two App Service apps on Linux (Node 22 LTS) in two plans: `web` (bot endpoint, tab, API) and
//     `worker` (backups and restores). Separate plans let workers scale out on their own; the
//     Agents Toolkit deploys both with zip deploy, no container registry needed;
//   - Azure Bot (Teams channel) pointing at the web role's /api/messages;
//   - Application Insights (workspace based) with the App Service Node.js agent.
// Parameters come from infra/main.parameters.json, filled by the Agents Toolkit from env/.env.<env>.
targetScope = 'resourceGroup'

@minLength(4)
@maxLength(20)
@description('Prefix of every resource name: lower-case letters and digits, globally unique (Key Vault, Cosmos DB and the web apps derive their names from it).')
param resourceBaseName string

param location string = resourceGroup().location

@description('App Service plan SKU of the web role (bot, tab, API).')
param webSku string = 'B1'

@description('App Service plan SKU of the worker role.')
param workerSku string = 'B1'

@description('Worker instances, 1 to 30 (a string: toolkit parameter files carry strings). Runs are divided among workers by leases in Cosmos DB.')
param workerInstances string = '1'

@allowed([
  'serverless'
  'autoscale'
])
@description('Cosmos DB capacity: serverless (pay per request, small tenants) or autoscale provisioned throughput.')
param cosmosCapacityMode string = 'serverless'

@minValue(1000)
@description('Autoscale maximum RU/s shared by the database (autoscale mode only).')
param cosmosAutoscaleMaxThroughput int = 4000

@description('Cosmos DB database name (COSMOS_DATABASE).')
param cosmosDatabaseName string = 'entra-backup'

@description('Client id of the read-only backup app registration (BACKUP_CLIENT_ID).')
param backupClientId string

@secure()
@description('Client secret of the backup app; stored in Key Vault.')
param backupClientSecret string

@description('Client id of the optional write-enabled restore app (RESTORE_CLIENT_ID); empty = none.')
param restoreClientId string = ''

@secure()
@description('Client secret of the restore app; stored in Key Vault when a restore app is given.')
param restoreClientSecret string = ''

@description('Client id of the bot app registration (BOT_APP_ID).')
param botAppId string

@secure()
@description('Client secret of the bot app; stored in Key Vault.')
param botAppPassword string

@description('Tenant of the bot app registration (BOT_TENANT_ID).')
param botTenantId string

@allowed([
  'SingleTenant'
  'MultiTenant'
])
@description('Bot app type. Azure no longer creates new multi-tenant bots; SingleTenant is the default.')
param botAppType string = 'SingleTenant'

@description('Client id of the tab SSO app exposing api://<domain>/<id>/access_as_user (TAB_CLIENT_ID).')
param tabClientId string

@description('Custom host name of the web role (e.g. backup.contoso.com); empty = <name>-web.azurewebsites.net.')
param customDomain string = ''

@allowed([
  'fatal'
  'error'
  'warn'
  'info'
  'debug'
  'trace'
  'silent'
])
param logLevel string = 'info'

var webAppName = '${resourceBaseName}-web'
var webHost = empty(customDomain) ? '${webAppName}.azurewebsites.net' : customDomain
var publicUrl = 'https://${webHost}'
var hasRestoreApp = !empty(restoreClientId)

module identity 'modules/identity.bicep' = {
  name: 'identity'
  params: {
    name: '${resourceBaseName}-id'
    location: location
  }
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  params: {
    baseName: resourceBaseName
    location: location
  }
}

module vault 'modules/keyvault.bicep' = {
  name: 'keyvault'
  params: {
    name: '${take(resourceBaseName, 17)}-kv'
    location: location
    readerPrincipalId: identity.outputs.principalId
    secrets: union(
      {
        'backup-client-secret': backupClientSecret
        'bot-app-password': botAppPassword
      },
      hasRestoreApp ? { 'restore-client-secret': restoreClientSecret } : {}
    )
  }
}

module cosmos 'modules/cosmos.bicep' = {
  name: 'cosmos'
  params: {
    accountName: toLower('${resourceBaseName}-cosmos')
    location: location
    databaseName: cosmosDatabaseName
    capacityMode: cosmosCapacityMode
    autoscaleMaxThroughput: cosmosAutoscaleMaxThroughput
    dataContributorPrincipalId: identity.outputs.principalId
  }
}

// Settings both roles share. Every name here is a variable src/config.ts reads (tests/infra
// checks it); secrets are Key Vault references resolved by App Service with the identity.
var sharedSettings = union(
  {
    NODE_ENV: 'production'
    HOST: '0.0.0.0'
    PORT: '8080'
    LOG_LEVEL: logLevel
    PUBLIC_URL: publicUrl
    COSMOS_ENDPOINT: cosmos.outputs.endpoint
    COSMOS_DATABASE: cosmosDatabaseName
    AZURE_CLIENT_ID: identity.outputs.clientId
    BACKUP_CLIENT_ID: backupClientId
    BACKUP_CLIENT_SECRET: '@Microsoft.KeyVault(VaultName=${vault.outputs.name};SecretName=backup-client-secret)'
    BOT_APP_ID: botAppId
    BOT_APP_PASSWORD: '@Microsoft.KeyVault(VaultName=${vault.outputs.name};SecretName=bot-app-password)'
    BOT_TENANT_ID: botTenantId
  },
  hasRestoreApp
    ? {
        RESTORE_CLIENT_ID: restoreClientId
        RESTORE_CLIENT_SECRET: '@Microsoft.KeyVault(VaultName=${vault.outputs.name};SecretName=restore-client-secret)'
      }
    : {}
)

module web 'modules/app-service.bicep' = {
  name: 'web'
  params: {
    appName: webAppName
    planName: '${resourceBaseName}-web-plan'
    location: location
    sku: webSku
    instances: 1
    identityId: identity.outputs.id
    appInsightsConnectionString: monitoring.outputs.connectionString
    startupCommand: 'node bin/entra-backup.js serve --role web'
    settings: union(sharedSettings, {
      ROLE: 'web'
      SCHEDULER_ENABLED: 'false'
      TAB_CLIENT_ID: tabClientId
      TAB_DOMAIN: webHost
    })
  }
}

module worker 'modules/app-service.bicep' = {
  name: 'worker'
  params: {
    appName: '${resourceBaseName}-worker'
    planName: '${resourceBaseName}-worker-plan'
    location: location
    sku: workerSku
    instances: max(1, min(30, int(workerInstances)))
    identityId: identity.outputs.id
    appInsightsConnectionString: monitoring.outputs.connectionString
    startupCommand: 'node bin/entra-backup.js serve --role worker'
    settings: union(sharedSettings, {
      ROLE: 'worker'
      SCHEDULER_ENABLED: 'true'
    })
  }
}

module bot 'modules/bot.bicep' = {
  name: 'bot'
  params: {
    name: resourceBaseName
    displayName: 'Entra Backup'
    botAppId: botAppId
    botTenantId: botTenantId
    botAppType: botAppType
    messagingEndpoint: '${publicUrl}/api/messages'
  }
}

// Outputs are written to env/.env.<env> by the Agents Toolkit under these names.
output WEB_APP_RESOURCE_ID string = web.outputs.resourceId
output WORKER_APP_RESOURCE_ID string = worker.outputs.resourceId
output TAB_DOMAIN string = webHost
output PUBLIC_URL string = publicUrl
output COSMOS_ENDPOINT string = cosmos.outputs.endpoint
output COSMOS_DATABASE string = cosmosDatabaseName
output AZURE_CLIENT_ID string = identity.outputs.clientId
output KEY_VAULT_NAME string = vault.outputs.name
output BOT_RESOURCE_NAME string = bot.outputs.name
