/**
 * The AWS SDK modules the inventory calls, loaded on first use: discovering and listing the checkers
 * (start-up) does not pay for loading the SDK clients (the EC2 one alone takes over half a second).
 */
export const ec2 = () => import('@aws-sdk/client-ec2');
export const elbv2 = () => import('@aws-sdk/client-elastic-load-balancing-v2');
export const logs = () => import('@aws-sdk/client-cloudwatch-logs');
export const rds = () => import('@aws-sdk/client-rds');
export const cloudwatch = () => import('@aws-sdk/client-cloudwatch');
export const s3 = () => import('@aws-sdk/client-s3');
export const ecr = () => import('@aws-sdk/client-ecr');
export const dynamodb = () => import('@aws-sdk/client-dynamodb');
export const costOptimizationHub = () => import('@aws-sdk/client-cost-optimization-hub');
