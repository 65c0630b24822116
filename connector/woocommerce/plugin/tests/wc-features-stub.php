<?php
/**
 * WooCommerce's FeaturesUtil, recording each declaration, for tests/wp-stubs.php.
 */

namespace Automattic\WooCommerce\Utilities;

class FeaturesUtil {
	/** @var array<int, array{0: string, 1: string, 2: bool}> Each declare_compatibility call's arguments. */
	public static array $declared = array();

	public static function declare_compatibility( string $feature_id, string $plugin_file, bool $positive_compatibility = true ): bool {
		self::$declared[] = array( $feature_id, $plugin_file, $positive_compatibility );
		return true;
	}
}
