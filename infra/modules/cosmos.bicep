// Cosmos DB for NoSQL: key (local) auth disabled, so the only way in is Entra ID with the app's
// managed identity holding the built-in "Cosmos DB Built-in Data Contributor" data-plane role.
// Containers come from infra/cosmos-containers.json, generated from the store's definition.
param accountName string
param location string
param databaseName string
@allowed([
  'serverless'
  'autoscale'
])
param capacityMode string
param autoscaleMaxThroughput int
param dataContributorPrincipalId string

var serverless = capacityMode == 'serverless'
var containers = loadJsonContent('../cosmos-containers.json')
// Built-in data-plane role "Cosmos DB Built-in Data Contributor".
var dataContributorRoleId = '00000000-0000-0000-0000-000000000002'

resource account 'Microsoft.DocumentDB/databaseAccounts@2024-05-15' = {
  name: accountName
  location: location
  kind: 'GlobalDocumentDB'
  properties: {
    databaseAccountOfferType: 'Standard'
    disableLocalAuth: true
    consistencyPolicy: { defaultConsistencyLevel: 'Session' }
    locations: [
      {
        locationName: location
        failoverPriority: 0
        isZoneRedundant: false
      }
    ]
    capabilities: serverless ? [{ name: 'EnableServerless' }] : []
    backupPolicy: {
      type: 'Continuous'
      continuousModeProperties: { tier: 'Continuous7Days' }
    }
  }
}

resource database 'Microsoft.DocumentDB/databaseAccounts/sqlDatabases@2024-05-15' = {
  parent: account
  name: databaseName
  properties: {
    resource: { id: databaseName }
    // Autoscale throughput is shared by all containers at the database level.
    options: serverless ? {} : { autoscaleSettings: { maxThroughput: autoscaleMaxThroughput } }
  }
}

resource container 'Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers@2024-05-15' = [
  for c in containers: {
    parent: database
    name: c.name
    properties: {
      resource: {
        id: c.name
        partitionKey: {
          paths: c.partitionKeyPaths
          kind: 'Hash'
          version: 2
        }
        indexingPolicy: c.indexingPolicy
      }
    }
  }
]

resource dataContributor 'Microsoft.DocumentDB/databaseAccounts/sqlRoleAssignments@2024-05-15' = {
  parent: account
  name: guid(account.id, dataContributorPrincipalId, dataContributorRoleId)
  properties: {
    roleDefinitionId: '${account.id}/sqlRoleDefinitions/${dataContributorRoleId}'
    principalId: dataContributorPrincipalId
    scope: account.id
  }
  // Cosmos DB takes an exclusive lock on the account for some control-plane writes; creating the
  // assignment after the containers avoids a 412 "another operation in progress" on first deploy.
  dependsOn: [container]
}

output endpoint string = account.properties.documentEndpoint
output name string = account.name
