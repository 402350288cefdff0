/** Working inside moto's accounts of an organisation: SDK clients through an assumed role, and a seeded waste. */
import { CreateVolumeCommand, EC2Client } from '@aws-sdk/client-ec2';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';

/** SDK clients acting inside another (moto) account, through an assumed role. */
export async function inAccount(account: string, role: string) {
  const sts = new STSClient({ region: 'us-east-1' });
  const { Credentials: c } = await sts.send(
    new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${account}:role/${role}`, RoleSessionName: 'seed' }),
  );
  const credentials = {
    accessKeyId: c!.AccessKeyId!,
    secretAccessKey: c!.SecretAccessKey!,
    sessionToken: c!.SessionToken!,
  };
  return { ec2: new EC2Client({ region: 'us-east-1', credentials }) };
}

/** An unattached volume (a finding of aws.ec2.ebs.unattached.volume); its id. */
export async function unattachedVolume(ec2: EC2Client, size = 50): Promise<string> {
  const volume = await ec2.send(
    new CreateVolumeCommand({ AvailabilityZone: 'us-east-1a', Size: size, VolumeType: 'gp3' }),
  );
  return volume.VolumeId!;
}
