// Restore into another tenant (MSP admins): the target chosen among the tenants the server says
// the caller administers, and the domain map (source domain → target domain) applied to UPNs and
// mail addresses. The preview shows the mapping beside the plan. The server re-checks everything.
import {
  Checkbox,
  Field,
  Input,
  MessageBar,
  MessageBarBody,
  makeStyles,
  Select,
  Table,
  TableBody,
  TableCell,
  TableHeader,
  TableHeaderCell,
  TableRow,
  Text,
  tokens,
} from '@fluentui/react-components';
import type { Plan, RestoreTargets, TenantDomains } from '../api/types.ts';

const useStyles = makeStyles({
  box: {
    marginTop: tokens.spacingVerticalM,
    display: 'flex',
    flexDirection: 'column',
    gap: tokens.spacingVerticalS,
  },
  arrow: { color: tokens.colorNeutralForeground2 },
});

export interface CrossTenantChoice {
  targetTenantId?: string;
  domainMap?: Record<string, string>;
}

/** Domains seen in the restored version (UPN, mail) and the source tenant's verified domains. */
export function sourceDomains(source: TenantDomains, content: Record<string, unknown> | null): string[] {
  const found = new Set(source.domains);
  for (const key of ['userPrincipalName', 'mail']) {
    const value = content?.[key];
    if (typeof value === 'string' && value.includes('@') && !value.includes('#EXT#'))
      found.add(value.split('@')[1].toLowerCase());
  }
  return [...found];
}

/** The default map: every source domain onto the target's default domain. */
export function defaultDomainMap(
  domains: string[],
  target: TenantDomains | undefined,
): Record<string, string> {
  const to = target?.domains[0];
  return to ? Object.fromEntries(domains.map((d) => [d, to])) : {};
}

export function CrossTenantFields(props: {
  targets: RestoreTargets;
  domains: string[];
  value: CrossTenantChoice;
  onChange: (value: CrossTenantChoice) => void;
}) {
  const styles = useStyles();
  const { targets, domains, value, onChange } = props;
  if (!targets.targets.length) return null;
  const target = targets.targets.find((t) => t.tenantId === value.targetTenantId);
  const choose = (tenantId: string) => {
    const next = targets.targets.find((t) => t.tenantId === tenantId);
    onChange({ targetTenantId: tenantId, domainMap: defaultDomainMap(domains, next) });
  };
  const setMapping = (from: string, to: string) => {
    const map = { ...value.domainMap };
    if (to) map[from] = to;
    else delete map[from];
    onChange({ ...value, domainMap: map });
  };
  return (
    <div className={styles.box}>
      <Checkbox
        label="Restore into another tenant"
        checked={Boolean(value.targetTenantId)}
        onChange={(_e, d) => (d.checked === true ? choose(targets.targets[0].tenantId) : onChange({}))}
      />
      {target ? (
        <>
          <Field label="Target tenant" hint="Tenants where you are an admin too">
            <Select value={target.tenantId} onChange={(_e, d) => choose(d.value)}>
              {targets.targets.map((t) => (
                <option key={t.tenantId} value={t.tenantId}>
                  {t.displayName} ({t.domains[0] ?? t.tenantId})
                </option>
              ))}
            </Select>
          </Field>
          <Table size="small" aria-label="Domain mapping">
            <TableHeader>
              <TableRow>
                <TableHeaderCell>Source domain</TableHeaderCell>
                <TableHeaderCell>Becomes in {target.displayName}</TableHeaderCell>
              </TableRow>
            </TableHeader>
            <TableBody>
              {domains.map((from) => (
                <TableRow key={from}>
                  <TableCell>{from}</TableCell>
                  <TableCell>
                    {target.domains.length ? (
                      <Select
                        aria-label={`Target domain for ${from}`}
                        value={value.domainMap?.[from] ?? ''}
                        onChange={(_e, d) => setMapping(from, d.value)}
                      >
                        <option value="">Keep {from}</option>
                        {target.domains.map((d) => (
                          <option key={d} value={d}>
                            {d}
                          </option>
                        ))}
                      </Select>
                    ) : (
                      <Input
                        aria-label={`Target domain for ${from}`}
                        value={value.domainMap?.[from] ?? ''}
                        placeholder="target.example.com"
                        onChange={(_e, d) => setMapping(from, d.value.trim())}
                      />
                    )}
                  </TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        </>
      ) : null}
    </div>
  );
}

/** In the preview: which tenant is written to and how domains are mapped. */
export function DomainMappingPreview(props: { plan: Plan; targets: RestoreTargets | undefined }) {
  const styles = useStyles();
  const { plan, targets } = props;
  if (!targets || plan.writeTenantId === targets.source.tenantId) return null;
  const target = targets.targets.find((t) => t.tenantId === plan.writeTenantId);
  const map = Object.entries(plan.request.options.domainMap ?? {});
  return (
    <div data-testid="domain-mapping">
      <MessageBar intent="info">
        <MessageBarBody>
          Writes into <strong>{target?.displayName ?? plan.writeTenantId}</strong>, not{' '}
          {targets.source.displayName}. Objects are matched there by name; ids are new.
        </MessageBarBody>
      </MessageBar>
      {map.length ? (
        <ul>
          {map.map(([from, to]) => (
            <li key={from}>
              {from} <span className={styles.arrow}>→</span> {to}
            </li>
          ))}
        </ul>
      ) : (
        <Text as="p">No domain is mapped: UPNs and mail addresses keep their domains.</Text>
      )}
    </div>
  );
}
