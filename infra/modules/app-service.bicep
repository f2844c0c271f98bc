// One role of the product: a Linux App Service plan and a Node 22 LTS web app running as the
// user-assigned identity. Both roles listen on PORT (the worker answers /healthz there, which
// App Service pings to know the container started).
param appName string
param planName string
param location string
param sku string
param instances int
param identityId string
param appInsightsConnectionString string
param startupCommand string
@description('Application settings the product reads (src/config.ts).')
param settings object

// Read by the App Service platform, not by the app: the Node.js Application Insights agent and
// the Oryx build that runs `npm install` after zip deploy.
var platformSettings = {
  APPLICATIONINSIGHTS_CONNECTION_STRING: appInsightsConnectionString
  ApplicationInsightsAgent_EXTENSION_VERSION: '~3'
  SCM_DO_BUILD_DURING_DEPLOYMENT: 'true'
}

resource plan 'Microsoft.Web/serverfarms@2023-12-01' = {
  name: planName
  location: location
  kind: 'linux'
  sku: {
    name: sku
    capacity: instances
  }
  properties: {
    reserved: true
  }
}

resource site 'Microsoft.Web/sites@2023-12-01' = {
  name: appName
  location: location
  kind: 'app,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: { '${identityId}': {} }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    keyVaultReferenceIdentity: identityId
    siteConfig: {
      // Node 22 LTS: Node 20 left support in April 2026 (the product runs on Node >= 20.19).
      linuxFxVersion: 'NODE|22-lts'
      appCommandLine: startupCommand
      alwaysOn: true
      healthCheckPath: '/healthz'
      ftpsState: 'Disabled'
      minTlsVersion: '1.2'
      http20Enabled: true
      appSettings: [for item in items(union(settings, platformSettings)): { name: item.key, value: item.value }]
    }
  }
}

output resourceId string = site.id
output defaultHostName string = site.properties.defaultHostName
