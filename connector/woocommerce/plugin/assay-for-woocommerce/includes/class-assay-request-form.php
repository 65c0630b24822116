<?php
/**
 * The customer's request form: a My Account endpoint on each order, and the [assay_request_form] shortcode.
 *
 * It posts server-side to Assay's storefront form (the order number, billing email and order key come from the
 * order, never from the customer) and shows Assay's answer.
 *
 * @package Assay_For_WooCommerce
 */

defined( 'ABSPATH' ) || exit;

/**
 * The form, its handling and Assay's answer.
 */
class Assay_Request_Form {
	const ENDPOINT    = 'assay-request';
	const ANSWER_META = '_assay_request_answer_url';
	const KINDS       = array( 'cancel', 'return', 'claim', 'warranty' );
	const REASONS     = array( 'changed_mind', 'wrong_size', 'damaged_in_transit', 'defective', 'wrong_item', 'not_as_described', 'other' );

	/**
	 * How many times to ask Assay for the decision after sending (a second apart).
	 *
	 * @var int
	 */
	public $answer_attempts = 3;

	/**
	 * Hook the endpoint, the order action and the shortcode.
	 */
	public function register(): void {
		add_action( 'init', array( __CLASS__, 'add_endpoint' ) );
		add_filter( 'woocommerce_get_query_vars', array( $this, 'query_vars' ) );
		add_filter( 'woocommerce_my_account_my_orders_actions', array( $this, 'order_action' ), 10, 2 );
		add_action( 'woocommerce_account_' . self::ENDPOINT . '_endpoint', array( $this, 'endpoint' ) );
		add_shortcode( 'assay_request_form', array( $this, 'shortcode' ) );
	}

	/**
	 * The endpoint's rewrite rule.
	 */
	public static function add_endpoint(): void {
		add_rewrite_endpoint( self::ENDPOINT, EP_ROOT | EP_PAGES );
	}

	/**
	 * On activation: the rewrite rule, flushed once.
	 */
	public static function activate(): void {
		self::add_endpoint();
		flush_rewrite_rules();
	}

	/**
	 * WooCommerce's account query vars, with ours.
	 *
	 * @param array<string, string> $vars The query vars.
	 * @return array<string, string>
	 */
	public function query_vars( array $vars ): array {
		$vars[ self::ENDPOINT ] = self::ENDPOINT;
		return $vars;
	}

	/**
	 * "Request a return or cancellation" beside each order in My Account › Orders.
	 *
	 * @param array<string, array<string, string>> $actions The order's actions.
	 * @param WC_Order                             $order   The order.
	 * @return array<string, array<string, string>>
	 */
	public function order_action( array $actions, $order ): array {
		$actions['assay_request'] = array(
			'url'  => wc_get_endpoint_url( self::ENDPOINT, (string) $order->get_id(), wc_get_page_permalink( 'myaccount' ) ),
			'name' => __( 'Request a return or cancellation', 'assay-for-woocommerce' ),
		);
		return $actions;
	}

	/**
	 * My Account › assay-request/<order id>.
	 *
	 * @param string $order_id The endpoint's value.
	 */
	public function endpoint( $order_id ): void {
		echo $this->page( (int) $order_id ); // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- page() escapes every part.
	}

	/**
	 * [assay_request_form order="123"], or the order in ?order_id= (a guest adds ?key=<order key>).
	 *
	 * @param array<string, string>|string $atts The shortcode's attributes.
	 */
	public function shortcode( $atts ): string {
		$atts = shortcode_atts( array( 'order' => '' ), is_array( $atts ) ? $atts : array(), 'assay_request_form' );
		$id   = '' !== $atts['order'] ? $atts['order'] : sanitize_text_field( wp_unslash( $_GET['order_id'] ?? '' ) ); // phpcs:ignore WordPress.Security.NonceVerification.Recommended
		return $this->page( absint( $id ) );
	}

	/**
	 * The page for one order: Assay's answer after a post, else the form.
	 *
	 * @param int $order_id The order.
	 */
	public function page( int $order_id ): string {
		$order = $order_id > 0 ? wc_get_order( $order_id ) : false;
		if ( ! $order || ! $this->may_ask_about( $order ) ) {
			return '<p class="assay-request">' . esc_html__( 'This order could not be found.', 'assay-for-woocommerce' ) . '</p>';
		}
		if ( 'POST' === ( $_SERVER['REQUEST_METHOD'] ?? '' ) && isset( $_POST['assay_request_nonce'] ) ) {
			$nonce = sanitize_text_field( wp_unslash( $_POST['assay_request_nonce'] ) );
			if ( ! wp_verify_nonce( $nonce, 'assay_request_' . $order->get_id() ) ) {
				return '<p class="assay-request">' . esc_html__( 'This form has expired. Please reload the page and send it again.', 'assay-for-woocommerce' ) . '</p>';
			}
			return $this->handle( $order, wp_unslash( $_POST ) );
		}
		$earlier = (string) $order->get_meta( self::ANSWER_META );
		if ( '' !== $earlier ) {
			$answer = Assay_Client::from_settings()->answer( $earlier );
			if ( 200 === $answer['status'] && 'decided' === ( $answer['body']['status'] ?? '' ) ) {
				return $this->answer_html( $answer['body'] ) . $this->form( $order );
			}
		}
		return $this->form( $order );
	}

	/**
	 * The order is the signed-in customer's, or the guest has its order key.
	 *
	 * @param WC_Order $order The order.
	 */
	private function may_ask_about( $order ): bool {
		$user = get_current_user_id();
		if ( $user > 0 && (int) $order->get_customer_id() === $user ) {
			return true;
		}
		$key = sanitize_text_field( wp_unslash( $_GET['key'] ?? '' ) ); // phpcs:ignore WordPress.Security.NonceVerification.Recommended
		return '' !== $key && hash_equals( (string) $order->get_order_key(), $key );
	}

	/**
	 * Send the request to Assay and show its answer.
	 *
	 * @param WC_Order             $order  The order.
	 * @param array<string, mixed> $posted The posted fields, unslashed.
	 */
	public function handle( $order, array $posted ): string {
		$kind   = sanitize_key( (string) ( $posted['kind'] ?? '' ) );
		$reason = sanitize_key( (string) ( $posted['reason'] ?? '' ) );
		$lines  = array_map( 'strval', array_keys( $order->get_items() ) );
		$chosen = array_values( array_intersect( $lines, array_map( 'strval', (array) ( $posted['line_id'] ?? array() ) ) ) );
		$fields = array(
			'order_number' => (string) $order->get_order_number(),
			'email'        => (string) $order->get_billing_email(),
			'order_key'    => (string) $order->get_order_key(),
			'kind'         => in_array( $kind, self::KINDS, true ) ? $kind : '',
			'reason'       => in_array( $reason, self::REASONS, true ) ? $reason : '',
			'photos'       => min( 20, absint( $posted['photos'] ?? 0 ) ),
			'note'         => sanitize_textarea_field( (string) ( $posted['note'] ?? '' ) ),
			'line_id'      => $chosen,
		);
		$client = Assay_Client::from_settings();
		$sent   = $client->submit_request( $fields );
		if ( 202 !== $sent['status'] ) {
			return $this->refusal_html( $sent );
		}
		$answer_url = (string) ( $sent['body']['answer_url'] ?? '' );
		$order->update_meta_data( self::ANSWER_META, $answer_url );
		$order->save();
		for ( $attempt = 0; $attempt < $this->answer_attempts; $attempt++ ) {
			sleep( 1 );
			$answer = $client->answer( $answer_url );
			if ( 200 === $answer['status'] && 'decided' === ( $answer['body']['status'] ?? '' ) ) {
				return $this->answer_html( $answer['body'] );
			}
		}
		return '<div class="assay-request assay-received"><p>' . esc_html__( 'We have received your request. We will email you our answer shortly, and it will show on this page.', 'assay-for-woocommerce' ) . '</p></div>';
	}

	/**
	 * Assay's decision, in the customer's words.
	 *
	 * @param array<string, mixed> $body The answer's JSON.
	 */
	public function answer_html( array $body ): string {
		$outcome = (string) ( $body['outcome'] ?? '' );
		if ( 'approve' === $outcome ) {
			$head = __( 'Your request is approved.', 'assay-for-woocommerce' );
			if ( ! empty( $body['refund_total'] ) ) {
				/* translators: 1: refund amount, 2: currency code */
				$head .= ' ' . sprintf( __( 'We are refunding %1$s %2$s.', 'assay-for-woocommerce' ), (string) $body['refund_total'], (string) ( $body['currency'] ?? '' ) );
			}
		} elseif ( 'decline' === $outcome ) {
			$head = __( 'We are sorry: your request can not be accepted.', 'assay-for-woocommerce' );
		} elseif ( ! empty( $body['respond_by'] ) ) {
			$when = strtotime( (string) $body['respond_by'] );
			/* translators: %s: the date and time by which the store answers */
			$head = sprintf( __( 'A person will look at your request. We will get back to you by %s.', 'assay-for-woocommerce' ), false === $when ? (string) $body['respond_by'] : wp_date( get_option( 'date_format' ) . ' ' . get_option( 'time_format' ), $when ) );
		} else {
			$head = __( 'A person will look at your request and get back to you.', 'assay-for-woocommerce' );
		}
		$html = '<div class="assay-request assay-' . esc_attr( $outcome ) . '"><p><strong>' . esc_html( $head ) . '</strong></p>';
		if ( 'review' !== $outcome ) {
			foreach ( (array) ( $body['messages'] ?? array() ) as $message ) {
				$html .= '<p>' . esc_html( (string) $message ) . '</p>';
			}
		}
		return $html . '</div>';
	}

	/**
	 * Why Assay refused the request, field by field where it said so.
	 *
	 * @param array{status: int, body: array<string, mixed>} $sent Assay's answer.
	 */
	private function refusal_html( array $sent ): string {
		$html = '<div class="assay-request assay-refused"><p>' . esc_html__( 'Your request could not be sent.', 'assay-for-woocommerce' ) . '</p><ul>';
		foreach ( (array) ( $sent['body']['fields'] ?? array() ) as $field => $rule ) {
			$html .= '<li>' . esc_html( $field . ' ' . $rule ) . '</li>';
		}
		if ( empty( $sent['body']['fields'] ) ) {
			$detail = (string) ( $sent['body']['detail'] ?? __( 'Please try again in a few minutes.', 'assay-for-woocommerce' ) );
			$html  .= '<li>' . esc_html( $detail ) . '</li>';
		}
		return $html . '</ul></div>';
	}

	/**
	 * The form: the order's lines, kind and reason, photo count and note.
	 *
	 * @param WC_Order $order The order.
	 */
	public function form( $order ): string {
		$kinds   = array(
			'cancel'   => __( 'Cancel the order', 'assay-for-woocommerce' ),
			'return'   => __( 'Return items', 'assay-for-woocommerce' ),
			'claim'    => __( 'Report damage or a wrong item', 'assay-for-woocommerce' ),
			'warranty' => __( 'Warranty repair', 'assay-for-woocommerce' ),
		);
		$reasons = array(
			''                   => __( 'Choose a reason', 'assay-for-woocommerce' ),
			'changed_mind'       => __( 'I changed my mind', 'assay-for-woocommerce' ),
			'wrong_size'         => __( 'Wrong size', 'assay-for-woocommerce' ),
			'damaged_in_transit' => __( 'Damaged in transit', 'assay-for-woocommerce' ),
			'defective'          => __( 'Defective', 'assay-for-woocommerce' ),
			'wrong_item'         => __( 'Wrong item', 'assay-for-woocommerce' ),
			'not_as_described'   => __( 'Not as described', 'assay-for-woocommerce' ),
			'other'              => __( 'Other', 'assay-for-woocommerce' ),
		);
		$html  = '<form method="post" class="assay-request-form">';
		$html .= wp_nonce_field( 'assay_request_' . $order->get_id(), 'assay_request_nonce', true, false );
		/* translators: %s: order number */
		$html .= '<h3>' . esc_html( sprintf( __( 'Order #%s', 'assay-for-woocommerce' ), $order->get_order_number() ) ) . '</h3><fieldset><legend>' . esc_html__( 'Which items?', 'assay-for-woocommerce' ) . '</legend>';
		foreach ( $order->get_items() as $item_id => $item ) {
			$html .= '<label><input type="checkbox" name="line_id[]" value="' . esc_attr( (string) $item_id ) . '" /> ' . esc_html( $item->get_name() ) . ' &times; ' . esc_html( (string) $item->get_quantity() ) . '</label><br />';
		}
		$html .= '</fieldset><p><label>' . esc_html__( 'What would you like?', 'assay-for-woocommerce' ) . ' <select name="kind" required>';
		foreach ( $kinds as $value => $label ) {
			$html .= '<option value="' . esc_attr( $value ) . '">' . esc_html( $label ) . '</option>';
		}
		$html .= '</select></label></p><p><label>' . esc_html__( 'Why?', 'assay-for-woocommerce' ) . ' <select name="reason">';
		foreach ( $reasons as $value => $label ) {
			$html .= '<option value="' . esc_attr( $value ) . '">' . esc_html( $label ) . '</option>';
		}
		$html .= '</select></label></p><p><label>' . esc_html__( 'Photos you will send us', 'assay-for-woocommerce' ) . ' <input type="number" name="photos" min="0" max="20" value="0" /></label></p>';
		$html .= '<p><label>' . esc_html__( 'Anything else we should know?', 'assay-for-woocommerce' ) . '<br /><textarea name="note" maxlength="1000" rows="4"></textarea></label></p>';
		return $html . '<p><button type="submit" class="button">' . esc_html__( 'Send request', 'assay-for-woocommerce' ) . '</button></p></form>';
	}
}
