// Log Analytics workspace + workspace-based Application Insights. Local (key) ingestion stays on:
// App Service's codeless Node.js agent does not support Entra-authenticated ingestion. The
// connection string's ingestion key can only send telemetry to this resource, nothing else.
param baseName string
param location string

resource workspace 'Microsoft.OperationalInsights/workspaces@2022-10-01' = {
  name: '${baseName}-logs'
  location: location
  properties: {
    sku: { name: 'PerGB2018' }
    retentionInDays: 30
  }
}

resource insights 'Microsoft.Insights/components@2020-02-02' = {
  name: '${baseName}-insights'
  location: location
  kind: 'web'
  properties: {
    // Documented values are 'web' and 'other' (Node.js apps use 'web').
    Application_Type: 'web'
    WorkspaceResourceId: workspace.id
    DisableLocalAuth: false
  }
}

output connectionString string = insights.properties.ConnectionString
