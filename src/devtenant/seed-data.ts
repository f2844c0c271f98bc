// Static vocabulary for the seeder: names, departments, offices, built-in role templates
// (real template ids, stable across tenants) and Microsoft Graph's app roles.

export const PERSONAS = [
  'Megan Bowen',
  'Adele Vance',
  'Alex Wilber',
  'Diego Siciliani',
  'Isaiah Langer',
  'Lee Gu',
  'Lidia Holloway',
  'Lynne Robbins',
  'Miriam Graham',
  'Nestor Wilke',
  'Patti Fernandez',
  'Pradeep Gupta',
  'Grady Archie',
  'Henrietta Mueller',
  'Johanna Lorenz',
  'Joni Sherman',
];

export const FIRST_NAMES = [
  'Aaron', 'Abigail', 'Adam', 'Aisha', 'Alan', 'Alice', 'Amara', 'Amelia', 'Andrea', 'Andrew', 'Anna', 'Ananya',
  'Ben', 'Bianca', 'Carlos', 'Caroline', 'Chen', 'Chloe', 'Daniel', 'Daria', 'David', 'Elena', 'Elijah', 'Emma',
  'Ethan', 'Fatima', 'Felix', 'Fiona', 'Gabriel', 'Grace', 'Hana', 'Hannah', 'Hiro', 'Ines', 'Isabel', 'Ivan',
  'Jack', 'James', 'Jana', 'Javier', 'Jia', 'Julia', 'Kai', 'Karen', 'Kenji', 'Laura', 'Leo', 'Lucas', 'Lucia',
  'Maya', 'Mateo', 'Mia', 'Michael', 'Mohammed', 'Nadia', 'Naomi', 'Nathan', 'Nina', 'Noah', 'Olivia', 'Omar',
  'Oscar', 'Paula', 'Pedro', 'Priya', 'Rafael', 'Rachel', 'Ravi', 'Rosa', 'Ryan', 'Sara', 'Sebastian', 'Sofia',
  'Sven', 'Tariq', 'Tessa', 'Thomas', 'Uma', 'Valentina', 'Victor', 'Wei', 'William', 'Yara', 'Yuki', 'Zoe',
];

export const LAST_NAMES = [
  'Adams', 'Ahmed', 'Alvarez', 'Andersen', 'Baker', 'Bauer', 'Becker', 'Brown', 'Campbell', 'Chen', 'Clark',
  'Costa', 'Davies', 'Dubois', 'Evans', 'Fischer', 'Garcia', 'Gomez', 'Green', 'Hall', 'Hansen', 'Hernandez',
  'Hoffmann', 'Ito', 'Jackson', 'Jensen', 'Johnson', 'Kim', 'Klein', 'Kowalski', 'Kumar', 'Lambert', 'Larsen',
  'Lee', 'Lopez', 'Martin', 'Martinez', 'Meyer', 'Miller', 'Moreau', 'Muller', 'Nakamura', 'Nguyen', 'Nielsen',
  'Novak', 'Okafor', 'Olsen', 'Patel', 'Perez', 'Petrov', 'Rossi', 'Santos', 'Schmidt', 'Schneider', 'Silva',
  'Singh', 'Smith', 'Sato', 'Suzuki', 'Tanaka', 'Taylor', 'Thomas', 'Torres', 'Wagner', 'Walker', 'Wang',
  'Weber', 'White', 'Williams', 'Wilson', 'Wright', 'Yamamoto', 'Young', 'Zhang',
];

export const DEPARTMENTS: { name: string; titles: string[] }[] = [
  { name: 'Sales', titles: ['Account Executive', 'Sales Manager', 'Sales Representative'] },
  { name: 'Marketing', titles: ['Marketing Specialist', 'Marketing Manager', 'Content Strategist'] },
  { name: 'Finance', titles: ['Accountant', 'Financial Analyst', 'Controller'] },
  { name: 'Human Resources', titles: ['HR Generalist', 'Recruiter', 'HR Manager'] },
  { name: 'Engineering', titles: ['Software Engineer', 'Senior Software Engineer', 'Engineering Manager'] },
  { name: 'IT', titles: ['Systems Administrator', 'Helpdesk Technician', 'IT Manager'] },
  { name: 'Operations', titles: ['Operations Analyst', 'Operations Manager', 'Logistics Coordinator'] },
  { name: 'Legal', titles: ['Legal Counsel', 'Paralegal', 'Compliance Officer'] },
  { name: 'Research', titles: ['Research Scientist', 'Lab Technician', 'Research Lead'] },
  { name: 'Customer Support', titles: ['Support Engineer', 'Support Lead', 'Customer Success Manager'] },
  { name: 'Retail', titles: ['Store Manager', 'Retail Associate', 'Merchandiser'] },
  { name: 'Executive Management', titles: ['Chief Executive Officer', 'Chief Financial Officer', 'Chief Operating Officer'] },
];

export const OFFICES: { city: string; state: string; country: string; usage: string; office: string; phone: string }[] = [
  { city: 'Seattle', state: 'WA', country: 'United States', usage: 'US', office: '131/1104', phone: '+1 206 555 0' },
  { city: 'Redmond', state: 'WA', country: 'United States', usage: 'US', office: '18/2111', phone: '+1 425 555 0' },
  { city: 'New York', state: 'NY', country: 'United States', usage: 'US', office: '20/1101', phone: '+1 212 555 0' },
  { city: 'London', state: 'England', country: 'United Kingdom', usage: 'GB', office: 'LDN-4', phone: '+44 20 7946 0' },
  { city: 'Paris', state: 'Île-de-France', country: 'France', usage: 'FR', office: 'PAR-2', phone: '+33 1 70 36 0' },
  { city: 'Munich', state: 'Bavaria', country: 'Germany', usage: 'DE', office: 'MUC-1', phone: '+49 89 1234 0' },
  { city: 'Tokyo', state: 'Tokyo', country: 'Japan', usage: 'JP', office: 'TYO-7', phone: '+81 3 1234 0' },
  { city: 'Sydney', state: 'NSW', country: 'Australia', usage: 'AU', office: 'SYD-3', phone: '+61 2 5550 0' },
];

export const GUEST_DOMAINS = ['fabrikam.com', 'northwindtraders.com', 'adatum.com', 'tailspintoys.com'];

export const PROJECTS = [
  'Falcon', 'Mercury', 'Orion', 'Atlas', 'Phoenix', 'Aurora', 'Nimbus', 'Zephyr', 'Titan', 'Polaris', 'Helix',
  'Vega', 'Lyra', 'Quasar', 'Nova', 'Horizon', 'Summit', 'Cascade', 'Redwood', 'Sequoia',
];

export const GLOBAL_ADMIN_TEMPLATE = '62e90394-69f5-4237-9190-012177145e10';
export const PRIVILEGED_ROLE_ADMIN_TEMPLATE = 'e8611ab8-c189-46e8-94e1-60213ab1f814';

export interface RoleTemplate {
  id: string;
  displayName: string;
  description: string;
  actions: string[];
}

export const ROLE_TEMPLATES: RoleTemplate[] = [
  {
    id: GLOBAL_ADMIN_TEMPLATE,
    displayName: 'Global Administrator',
    description: 'Can manage all aspects of Microsoft Entra ID and Microsoft services that use Microsoft Entra identities.',
    actions: ['microsoft.directory/allEntities/allProperties/allTasks'],
  },
  {
    id: PRIVILEGED_ROLE_ADMIN_TEMPLATE,
    displayName: 'Privileged Role Administrator',
    description: 'Can manage role assignments in Microsoft Entra ID, and all aspects of Privileged Identity Management.',
    actions: ['microsoft.directory/roleAssignments/allProperties/allTasks', 'microsoft.directory/roleDefinitions/allProperties/allTasks'],
  },
  {
    id: 'fe930be7-5e62-47db-91af-98c3a49a38b1',
    displayName: 'User Administrator',
    description: 'Can manage all aspects of users and groups, including resetting passwords for limited admins.',
    actions: ['microsoft.directory/users/create', 'microsoft.directory/users/delete', 'microsoft.directory/groups/create'],
  },
  {
    id: 'fdd7a751-b60b-444a-984c-02652fe8fa1c',
    displayName: 'Groups Administrator',
    description: 'Members of this role can create/manage groups, create/manage groups settings like naming and expiration policies.',
    actions: ['microsoft.directory/groups/create', 'microsoft.directory/groups/delete', 'microsoft.directory/groups/members/update'],
  },
  {
    id: '729827e3-9c14-49f7-bb1b-9608f156bbb8',
    displayName: 'Helpdesk Administrator',
    description: 'Can reset passwords for non-administrators and Helpdesk Administrators.',
    actions: ['microsoft.directory/users/password/update', 'microsoft.directory/users/invalidateAllRefreshTokens'],
  },
  {
    id: '9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3',
    displayName: 'Application Administrator',
    description: 'Can create and manage all aspects of app registrations and enterprise apps.',
    actions: ['microsoft.directory/applications/create', 'microsoft.directory/servicePrincipals/create'],
  },
  {
    id: '158c047a-c907-4556-b7ef-446551a6b5f7',
    displayName: 'Cloud Application Administrator',
    description: 'Can create and manage all aspects of app registrations and enterprise apps except App Proxy.',
    actions: ['microsoft.directory/applications/create', 'microsoft.directory/applications/delete'],
  },
  {
    id: '194ae4cb-b126-40b2-bd5b-6091b380977d',
    displayName: 'Security Administrator',
    description: 'Can read security information and reports, and manage configuration in Microsoft Entra ID and Office 365.',
    actions: ['microsoft.directory/conditionalAccessPolicies/create', 'microsoft.directory/auditLogs/allProperties/read'],
  },
  {
    id: 'f2ef992c-3afb-46b9-b7cf-a126ee74c451',
    displayName: 'Global Reader',
    description: 'Can read everything that a Global Administrator can, but not update anything.',
    actions: ['microsoft.directory/allEntities/allProperties/read'],
  },
  {
    id: '7be44c8a-adaf-4e2a-84d6-ab2649e08a13',
    displayName: 'Privileged Authentication Administrator',
    description: 'Can access to view, set and reset authentication method information for any user (admin or non-admin).',
    actions: ['microsoft.directory/users/authenticationMethods/create', 'microsoft.directory/users/authenticationMethods/delete'],
  },
  {
    id: 'c4e39bd9-1100-46d3-8c65-fb160da0071f',
    displayName: 'Authentication Administrator',
    description: 'Can access to view, set and reset authentication method information for any non-admin user.',
    actions: ['microsoft.directory/users/authenticationMethods/standard/update'],
  },
  {
    id: 'b1be1c3e-b65d-4f19-8427-f6fa0d97feb9',
    displayName: 'Conditional Access Administrator',
    description: 'Can manage Conditional Access capabilities.',
    actions: ['microsoft.directory/conditionalAccessPolicies/create', 'microsoft.directory/conditionalAccessPolicies/delete'],
  },
  {
    id: '29232cdf-9323-42fd-ade2-1d097af3e4de',
    displayName: 'Exchange Administrator',
    description: 'Can manage all aspects of the Exchange product.',
    actions: ['microsoft.office365.exchange/allEntities/basic/allTasks'],
  },
  {
    id: 'f28a1f50-f6e7-4571-818b-6a12f2af6b6c',
    displayName: 'SharePoint Administrator',
    description: 'Can manage all aspects of the SharePoint service.',
    actions: ['microsoft.office365.sharePoint/allEntities/allTasks'],
  },
  {
    id: '69091246-20e8-4a56-aa4d-066075b2a7a8',
    displayName: 'Teams Administrator',
    description: 'Can manage the Microsoft Teams service.',
    actions: ['microsoft.teams/allEntities/allProperties/allTasks'],
  },
  {
    id: '3a2c62db-5318-420d-8d74-23affee5d9d5',
    displayName: 'Intune Administrator',
    description: 'Can manage all aspects of the Intune product.',
    actions: ['microsoft.intune/allEntities/allTasks'],
  },
  {
    id: 'b0f54661-2d74-4c50-afa3-1ec803f12efe',
    displayName: 'Billing Administrator',
    description: 'Can perform common billing related tasks like updating payment information.',
    actions: ['microsoft.commerce.billing/allEntities/allProperties/allTasks'],
  },
  {
    id: '88d8e3e3-8f55-4a1e-953a-9b9898b8876b',
    displayName: 'Directory Readers',
    description: 'Can read basic directory information. Commonly used to grant directory read access to applications and guests.',
    actions: ['microsoft.directory/users/standard/read', 'microsoft.directory/groups/standard/read'],
  },
];

export const MS_GRAPH_APP_ID = '00000003-0000-0000-c000-000000000000';

/** A few of Microsoft Graph's application permissions (real app role ids). */
export const GRAPH_APP_ROLES: { id: string; value: string }[] = [
  { id: 'df021288-bdef-4463-88db-98f22de89214', value: 'User.Read.All' },
  { id: '741f803b-c850-494e-b5df-cde7c675a1ca', value: 'User.ReadWrite.All' },
  { id: '5b567255-7703-4780-807c-7be8301ae99b', value: 'Group.Read.All' },
  { id: '62a82d76-70ea-41e2-9197-370581804d09', value: 'Group.ReadWrite.All' },
  { id: '7ab1d382-f21e-4acd-a863-ba3e13f7da61', value: 'Directory.Read.All' },
  { id: '19dbc75e-c2e2-444c-a770-ec69d8559fc7', value: 'Directory.ReadWrite.All' },
  { id: '9a5d68dd-52b0-4cc2-bd40-abcf44ac3a30', value: 'Application.Read.All' },
  { id: '483bed4a-2ad3-4361-a73b-c83ccdbdc53c', value: 'RoleManagement.Read.Directory' },
  { id: 'b0afded3-3588-46d8-8b3d-9842eff778da', value: 'AuditLog.Read.All' },
  { id: '246dd0d5-5bd0-4def-940b-0421030a5b68', value: 'Policy.Read.All' },
  { id: '7438b122-aefc-4978-80ed-43db9fcc7715', value: 'Device.Read.All' },
  { id: '134fd756-38ce-4afd-ba33-e9623dbe66c2', value: 'AdministrativeUnit.Read.All' },
  { id: '38d9df27-64da-44fd-b7c5-a6fbac20248f', value: 'UserAuthenticationMethod.Read.All' },
];

export const APP_NAMES = [
  'HR Portal', 'Expense Tracker', 'Payroll Connector', 'Sales Dashboard', 'Ticketing Bot', 'Inventory Sync',
  'Contract Manager', 'Travel Booking', 'Learning Hub', 'Badge Access', 'Analytics Exporter', 'Customer Insights',
  'Build Pipeline', 'Backup Agent', 'Survey Tool', 'Visitor Check-in', 'Document Signing', 'Fleet Tracker',
];
